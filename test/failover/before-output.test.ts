import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordingSleep } from '../support/gateway.js';
import { expectKind, FACE_MODES } from './faces.js';
import { PRIMARY_TIMEOUT_MS, standardProviders, startRig, type Rig } from './rig.js';

/**
 * Failover conformance, faults before any output: rate limits, server errors, resets, silence
 * and a slow first token. Nothing has reached the client when these happen, so the gateway
 * retries or falls back without the client seeing anything — through every face, streaming or
 * not. `up/primary` is an OpenAI-compatible upstream (piped by the OpenAI face, translated by
 * the others); `alt/fallback` an Anthropic one. The router's waits go through a recording
 * sleep: the tests assert what was waited for, and no test waits.
 */
let rig: Rig;
const RETRIES = 2;
const BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 1_500;
const waits = recordingSleep();

beforeAll(async () => {
  rig = await startRig((url) => ({
    routing: { retries: RETRIES, backoffMs: BACKOFF_MS, maxBackoffMs: MAX_BACKOFF_MS, circuitBreaker: { failureThreshold: 10_000, cooldownMs: 1 } },
    providers: {
      ...standardProviders(url),
      // Nothing listens there: every connection is refused.
      down: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1', apiKey: 'down-key', timeoutMs: PRIMARY_TIMEOUT_MS },
    },
  }), { sleep: waits.sleep });
});
afterAll(async () => {
  await rig?.close();
});
beforeEach(() => {
  rig.upstream.reset();
  waits.asked.length = 0;
});

/** Each backoff wait was within its jittered step: half to all of backoffMs × 2^retry. */
function expectBackoffSteps(asked: number[], count: number): void {
  expect(asked).toHaveLength(count);
  asked.forEach((ms, retry) => {
    expect(ms).toBeGreaterThanOrEqual((BACKOFF_MS * 2 ** retry) / 2);
    expect(ms).toBeLessThanOrEqual(BACKOFF_MS * 2 ** retry);
  });
}

const PRIMARY = 'up/primary';

/** The primary was cut by its own deadline (not by a client bound), then the fallback served. */
function expectPrimaryDeadline(attempts: Array<{ errorKind: string | null; errorMessage: string | null }>): void {
  expect(attempts.map((attempt) => attempt.errorKind)).toEqual(['upstream_timeout', null]);
  expect(attempts[0]!.errorMessage).toBe(`provider up did not answer within ${PRIMARY_TIMEOUT_MS} ms`);
}
const FALLBACK = 'alt/fallback';
const ANSWER = 'Echo: hello there';

describe.each(FACE_MODES)('$face, $mode', ({ face, stream }) => {
  const ask = (fallbacks: string[] = [FALLBACK]) => rig.ask(face, { model: PRIMARY, fallbacks, stream });

  it('honours retry-after on a 429: waits that long, then the same model serves', async () => {
    rig.upstream.script('primary', [{ kind: 'error', status: 429, headers: { 'retry-after': '1' } }, { kind: 'ok' }]);
    const { outcome, attempts } = await ask();
    expect(outcome).toMatchObject({ ok: true, text: ANSWER, servedModel: PRIMARY, attempts: 2 });
    expect(waits.asked).toEqual([1_000]);
    expect(rig.calls('primary')).toBe(2);
    expect(rig.calls('fallback')).toBe(0);
    expect((await attempts()).map((attempt) => attempt.errorKind)).toEqual(['upstream_rate_limited', null]);
  });

  it('does not wait out a retry-after longer than maxBackoffMs: it moves on at once, and passes the 429 on when nothing is left', async () => {
    rig.upstream.script('primary', { kind: 'error', status: 429, headers: { 'retry-after': '30' } });
    const served = await ask();
    expect(served.outcome).toMatchObject({ ok: true, text: ANSWER, servedModel: FALLBACK, attempts: 2 });
    expect(waits.asked).toEqual([]);
    expect(rig.calls('primary')).toBe(1);

    const refused = await ask([]);
    expect(refused.outcome.ok).toBe(false);
    expect(refused.outcome.error).toMatchObject({ status: 429, inBand: false });
    expectKind(refused.outcome, 'upstream_rate_limited');
    expect(waits.asked).toEqual([]);
    expect(await refused.row()).toMatchObject({ status: 'error', errorKind: 'upstream_rate_limited', attempts: 1 });
  });

  it('backs off and retries a 429 without retry-after on the same model, then falls back if it persists', async () => {
    rig.upstream.script('primary', [{ kind: 'error', status: 429 }, { kind: 'ok' }]);
    const retried = await ask();
    expect(retried.outcome).toMatchObject({ ok: true, text: ANSWER, servedModel: PRIMARY, attempts: 2 });
    expectBackoffSteps(waits.asked, 1);

    rig.upstream.reset();
    waits.asked.length = 0;
    rig.upstream.script('primary', { kind: 'error', status: 429 });
    const fellBack = await ask();
    expect(fellBack.outcome).toMatchObject({ ok: true, text: ANSWER, servedModel: FALLBACK, attempts: RETRIES + 2 });
    expect(rig.calls('primary')).toBe(RETRIES + 1);
    expectBackoffSteps(waits.asked, RETRIES);
  });

  it('falls back after a single 500 without retrying the same model', async () => {
    rig.upstream.script('primary', [{ kind: 'error', status: 500 }, { kind: 'ok' }]);
    const { outcome, attempts } = await ask();
    expect(outcome).toMatchObject({ ok: true, text: ANSWER, servedModel: FALLBACK, attempts: 2 });
    expect(rig.calls('primary')).toBe(1);
    expect(waits.asked).toEqual([]);
    expect((await attempts()).map((attempt) => [attempt.model, attempt.errorKind, attempt.upstreamStatus])).toEqual([
      [PRIMARY, 'upstream_server_error', 500],
      [FALLBACK, null, null],
    ]);
  });

  it('retries a persistent 503, then falls back; with no fallback the final error says what happened', async () => {
    rig.upstream.script('primary', { kind: 'error', status: 503 });
    const served = await ask();
    expect(served.outcome).toMatchObject({ ok: true, text: ANSWER, servedModel: FALLBACK, attempts: RETRIES + 2 });
    expect(rig.calls('primary')).toBe(RETRIES + 1);

    rig.upstream.reset();
    rig.upstream.script('primary', { kind: 'error', status: 503 });
    const failed = await ask([]);
    expect(failed.outcome.ok).toBe(false);
    expect(failed.outcome.error).toMatchObject({ status: 503, inBand: false });
    expect(failed.outcome.error!.message).toMatch(/503/);
    expectKind(failed.outcome, 'upstream_overloaded');
    expect(rig.calls('primary')).toBe(RETRIES + 1);
    expect(await failed.row()).toMatchObject({ status: 'error', errorKind: 'upstream_overloaded', attempts: RETRIES + 1 });
  });

  it('falls back after a TCP reset before the response, without retrying (the request may have been billed)', async () => {
    rig.upstream.script('primary', { kind: 'reset' });
    const { outcome, attempts } = await ask();
    expect(outcome).toMatchObject({ ok: true, text: ANSWER, servedModel: FALLBACK, attempts: 2 });
    expect(rig.calls('primary')).toBe(1);
    expect((await attempts())[0]).toMatchObject({ model: PRIMARY, status: 'error', errorKind: 'upstream_server_error' });
  });

  it('retries a refused connection (the request never left), then falls back', async () => {
    const { outcome, attempts } = await rig.ask(face, { model: 'down/primary', fallbacks: [FALLBACK], stream });
    expect(outcome).toMatchObject({ ok: true, text: ANSWER, servedModel: FALLBACK, attempts: RETRIES + 2 });
    expectBackoffSteps(waits.asked, RETRIES);
    expect((await attempts()).map((attempt) => attempt.errorKind)).toEqual([...Array<string>(RETRIES + 1).fill('upstream_connection'), null]);
  });

  it('falls back when the upstream sends nothing at all, once the provider timeout has passed', async () => {
    rig.upstream.script('primary', { kind: 'hang' });
    const { outcome, attempts } = await ask();
    expect(outcome).toMatchObject({ ok: true, text: ANSWER, servedModel: FALLBACK, attempts: 2 });
    expectPrimaryDeadline(await attempts());
  });

  it('falls back when the first token comes later than the provider timeout, showing none of the slow answer', async () => {
    // Headers (and the stream's preamble) at once, then nothing until long after the deadline.
    rig.upstream.script('primary', { kind: 'stall', afterEvents: 0, ms: 5_000, text: 'slow primary words' });
    const { outcome, attempts } = await ask();
    expect(outcome).toMatchObject({ ok: true, text: ANSWER, servedModel: FALLBACK, attempts: 2 });
    expectPrimaryDeadline(await attempts());
  });
});
