/**
 * Standard Webhooks symmetric secrets: `whsec_` then the base64 of 24 to 64 random bytes.
 * The HMAC key is the decoded bytes, not the text, so a malformed secret would still "work"
 * while no receiver could verify: it is a config error instead.
 */
const prefix = 'whsec_';
const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;
const minBytes = 24;
const maxBytes = 64;

export type WebhookSecretCheck = { ok: true; key: Buffer } | { ok: false; reason: string };

/** Reasons never quote the secret, so they are safe in config errors and logs. */
export function validateWebhookSecret(secret: string): WebhookSecretCheck {
  if (!secret.startsWith(prefix)) return { ok: false, reason: 'a webhook secret must start with "whsec_"' };
  const encoded = secret.slice(prefix.length);
  if (!base64Pattern.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) {
    return { ok: false, reason: 'a webhook secret must be "whsec_" followed by base64' };
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < minBytes || key.length > maxBytes) {
    return { ok: false, reason: `a webhook secret must decode to ${minBytes}–${maxBytes} bytes (it decodes to ${key.length})` };
  }
  return { ok: true, key };
}
