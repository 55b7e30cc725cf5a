import { timingSafeEqual } from 'node:crypto';
import { validateWebhookSecret } from './secret.js';
import { signWebhook } from './sign.js';

export type WebhookVerification =
  | { ok: true; id: string; timestamp: number }
  | { ok: false; reason: 'invalid_secret' | 'missing_headers' | 'invalid_timestamp' | 'timestamp_too_old' | 'timestamp_too_new' | 'no_matching_signature' };

/** Node's `IncomingHttpHeaders`, a plain record, or a fetch `Headers`. */
export type HeadersLike = Record<string, string | string[] | undefined> | Headers;

const defaultToleranceSeconds = 5 * 60;

/**
 * Checks a received webhook as the Standard Webhooks spec says: the timestamp within the
 * tolerance (replay protection), then any `v1` signature in the space-delimited list matching
 * in constant time. `body` must be the raw bytes received, not re-serialised JSON.
 */
export function verifyWebhook(
  secret: string,
  headers: HeadersLike,
  body: string | Uint8Array,
  options: { now?: Date; toleranceSeconds?: number } = {},
): WebhookVerification {
  const checked = validateWebhookSecret(secret);
  if (!checked.ok) return { ok: false, reason: 'invalid_secret' };
  const id = header(headers, 'webhook-id');
  const timestampText = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestampText || !signatures) return { ok: false, reason: 'missing_headers' };
  if (!/^\d+$/.test(timestampText)) return { ok: false, reason: 'invalid_timestamp' };
  const timestamp = Number(timestampText);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? defaultToleranceSeconds;
  if (now - timestamp > tolerance) return { ok: false, reason: 'timestamp_too_old' };
  if (timestamp - now > tolerance) return { ok: false, reason: 'timestamp_too_new' };

  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  const expected = Buffer.from(signWebhook(checked.key, id, timestamp, text));
  for (const candidate of signatures.split(' ')) {
    if (!candidate.startsWith('v1,')) continue;
    const given = Buffer.from(candidate);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, id, timestamp };
  }
  return { ok: false, reason: 'no_matching_signature' };
}

function header(headers: HeadersLike, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
