import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateWebhookSecret } from '../../../src/policy/webhooks/secret.js';
import { signWebhook, webhookHeaders } from '../../../src/policy/webhooks/sign.js';
import { verifyWebhook } from '../../../src/policy/webhooks/verify.js';

// The test vector published with the Standard Webhooks reference libraries.
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

function keyOf(value: string): Buffer {
  const checked = validateWebhookSecret(value);
  if (!checked.ok) throw new Error(checked.reason);
  return checked.key;
}

/** The spec's formula, computed here without our code. */
function specSignature(whsec: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(whsec.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

describe('signing', () => {
  it('reproduces the Standard Webhooks published test vector', () => {
    expect(signWebhook(keyOf(vector.secret), vector.id, vector.timestamp, vector.body)).toBe(vector.signature);
  });

  it('signs "<id>.<timestamp>.<body>" with the base64-decoded secret, as the spec defines', () => {
    const body = JSON.stringify({ type: 'key.created', timestamp: '2025-01-01T00:00:00.000Z', data: { id: 'k1', name: 'ci', prefix: 'tg_ab' } });
    const now = new Date('2025-01-01T00:00:05.900Z');
    const headers = webhookHeaders(keyOf(secret), 'msg_abc', body, now);
    expect(headers).toEqual({
      'webhook-id': 'msg_abc',
      'webhook-timestamp': '1735689605',
      'webhook-signature': specSignature(secret, 'msg_abc', 1735689605, body),
    });
  });
});

describe('verifyWebhook', () => {
  const now = new Date(vector.timestamp * 1000);
  const headers = { 'webhook-id': vector.id, 'webhook-timestamp': String(vector.timestamp), 'webhook-signature': vector.signature };

  it('accepts the spec vector and reports its id and timestamp', () => {
    expect(verifyWebhook(vector.secret, headers, vector.body, { now })).toEqual({ ok: true, id: vector.id, timestamp: vector.timestamp });
    expect(verifyWebhook(vector.secret, new Headers(headers), Buffer.from(vector.body), { now }).ok).toBe(true);
  });

  it('reads header names case-insensitively', () => {
    const upper = { 'Webhook-Id': vector.id, 'Webhook-Timestamp': String(vector.timestamp), 'Webhook-Signature': vector.signature };
    expect(verifyWebhook(vector.secret, upper, vector.body, { now }).ok).toBe(true);
  });

  it('accepts a list of signatures when any v1 one matches (secret rotation)', () => {
    const list = ['v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', 'v1a,abc', vector.signature].join(' ');
    expect(verifyWebhook(vector.secret, { ...headers, 'webhook-signature': list }, vector.body, { now }).ok).toBe(true);
  });

  it('rejects a changed body, id or a signature under another version', () => {
    expect(verifyWebhook(vector.secret, headers, '{"test": 2432232315}', { now })).toEqual({ ok: false, reason: 'no_matching_signature' });
    expect(verifyWebhook(vector.secret, { ...headers, 'webhook-id': 'msg_other' }, vector.body, { now }).ok).toBe(false);
    const v2 = vector.signature.replace('v1,', 'v2,');
    expect(verifyWebhook(vector.secret, { ...headers, 'webhook-signature': v2 }, vector.body, { now }).ok).toBe(false);
    expect(verifyWebhook(vector.secret, { ...headers, 'webhook-signature': 'v1,' }, vector.body, { now }).ok).toBe(false);
  });

  it('rejects timestamps more than five minutes away, either side', () => {
    const at = (seconds: number) => new Date((vector.timestamp + seconds) * 1000);
    expect(verifyWebhook(vector.secret, headers, vector.body, { now: at(300) }).ok).toBe(true);
    expect(verifyWebhook(vector.secret, headers, vector.body, { now: at(301) })).toEqual({ ok: false, reason: 'timestamp_too_old' });
    expect(verifyWebhook(vector.secret, headers, vector.body, { now: at(-301) })).toEqual({ ok: false, reason: 'timestamp_too_new' });
  });

  it('rejects missing headers, a non-numeric timestamp and a malformed secret', () => {
    expect(verifyWebhook(vector.secret, { 'webhook-id': vector.id }, vector.body, { now })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verifyWebhook(vector.secret, { ...headers, 'webhook-timestamp': 'hello' }, vector.body, { now })).toEqual({ ok: false, reason: 'invalid_timestamp' });
    expect(verifyWebhook('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', headers, vector.body, { now })).toEqual({ ok: false, reason: 'invalid_secret' });
  });
});

describe('validateWebhookSecret', () => {
  it('accepts whsec_ followed by base64 of 24 to 64 bytes', () => {
    expect(validateWebhookSecret(vector.secret).ok).toBe(true);
    expect(validateWebhookSecret(secret).ok).toBe(true);
    expect(validateWebhookSecret(`whsec_${Buffer.alloc(64, 1).toString('base64')}`).ok).toBe(true);
  });

  it.each([
    ['no prefix', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ['another prefix', 'whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ['not base64', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!'],
    ['empty', 'whsec_'],
    ['too short', `whsec_${Buffer.alloc(16).toString('base64')}`],
    ['too long', `whsec_${Buffer.alloc(65).toString('base64')}`],
  ])('rejects %s, without quoting the secret', (_label, value) => {
    const checked = validateWebhookSecret(value);
    expect(checked.ok).toBe(false);
    if (!checked.ok && value.length > 'whsec_'.length) expect(checked.reason).not.toContain(value.slice('whsec_'.length));
  });
});
