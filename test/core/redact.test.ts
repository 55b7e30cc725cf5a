import { describe, expect, it } from 'vitest';
import { redactorOf } from '../../src/core/redact.js';

const KEY = 'k3y0f7he9r0v1der4a5b6c7d8e9f0';

describe('redactorOf', () => {
  const redact = redactorOf([KEY, 'whsec_c2VjcmV0c2VjcmV0']);

  it('removes a configured secret wherever it is, then cuts, so a secret across the cut goes whole', () => {
    for (let start = 0; start < 60; start++) {
      const text = `${'.'.repeat(start)}${KEY} and more text after it`;
      const out = redact(text, 40);
      expect(out).not.toContain(KEY.slice(0, 6));
      expect(out.length).toBeLessThanOrEqual(41);
    }
  });

  it('never cuts inside a redaction mark', () => {
    const out = redact(`${'.'.repeat(35)}${KEY}`, 40);
    expect(out).toBe(`${'.'.repeat(35)}…`);
  });

  it('removes token-shaped credentials it was never given, also when only their start is left', () => {
    expect(redact('Incorrect API key provided: sk-proj-AbC123_x-Yz. Check it.')).toBe('Incorrect API key provided: [redacted]. Check it.');
    expect(redact('sent Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2ln')).toBe('sent Authorization: [redacted]');
    expect(redact('key tg_abcdef0123 is revoked; sk-ant-api03-Zq8')).toBe('key [redacted] is revoked; [redacted]');
    // A long token cut by the length limit still goes, from its prefix on.
    const long = `x: sk-ant-api03-${'Q'.repeat(500)}`;
    expect(redact(long, 100)).toBe('x: [redacted]');
  });

  it('removes a fragment of a configured secret that an upstream cut or masked itself', () => {
    expect(redact(`API key ${KEY.slice(0, 12)}**** is invalid`)).toBe('API key [redacted]**** is invalid');
    expect(redact(`ends with ${KEY.slice(-9)}`)).toBe('ends with [redacted]');
  });

  it('leaves ordinary prose alone and does not cut what fits', () => {
    for (const prose of [
      'risk-free and task-specific requests were rejected: the model is overloaded',
      'Missing bearer token. Bearer authentication is required for this endpoint.',
    ]) {
      expect(redact(prose, prose.length)).toBe(prose);
    }
  });

  it('recognises a bearer token that starts just before the cut', () => {
    const redactNothingConfigured = redactorOf([]);
    for (let start = 30; start < 41; start++) {
      const out = redactNothingConfigured(`${'.'.repeat(start)}Bearer abcdefghij1234567890abcdefghij tail`, 40);
      expect(out).not.toMatch(/abcdefgh|Bearer a/);
    }
  });

  it('keeps a surrogate pair whole at the cut', () => {
    const out = redact(`${'a'.repeat(9)}😀tail`, 10);
    expect(out).toBe(`${'a'.repeat(9)}…`);
  });
});
