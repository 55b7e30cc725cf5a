import { createHmac, randomBytes } from 'node:crypto';

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** `v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` (Standard Webhooks, symmetric). */
export function signWebhook(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/** The three headers for one attempt; the timestamp is the attempt's, so each retry re-signs. */
export function webhookHeaders(key: Buffer, id: string, body: string, now: Date = new Date()): WebhookHeaders {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(key, id, timestamp, body),
  };
}

/** Message ids hold no `.`, since the signed content is delimited by full stops. */
export function newWebhookId(): string {
  return `msg_${randomBytes(16).toString('base64url').replace(/[-_]/g, '')}`;
}
