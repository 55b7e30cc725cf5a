export { createWebhookSink, WebhookConfigError, type WebhookSink, type WebhookSinkOptions } from './sink.js';
export { validateWebhookSecret, type WebhookSecretCheck } from './secret.js';
export { verifyWebhook, type WebhookVerification } from './verify.js';
export { signWebhook, webhookHeaders, type WebhookHeaders } from './sign.js';
export { webhookEventTypes } from './events.js';
export { defaultRetryPolicy, type RetryPolicy } from './backoff.js';
