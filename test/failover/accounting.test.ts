import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FACE_MODES } from './faces.js';
import { PRICE, standardProviders, startRig, type Rig } from './rig.js';

/**
 * Failover conformance, accounting: every attempt of a failed-over request is in the ledger,
 * only the attempt that served is charged, and the answer says which attempt served (headers,
 * and the body's model). And a retried call with the same Idempotency-Key gets the first answer
 * back without reaching any upstream again.
 */
let rig: Rig;
const RETRIES = 1;

beforeAll(async () => {
  rig = await startRig((url) => ({
    routing: { retries: RETRIES, backoffMs: 5, maxBackoffMs: 20, circuitBreaker: { failureThreshold: 10_000, cooldownMs: 1 } },
    providers: standardProviders(url, ['primary', 'second', 'fallback']),
  }));
});
afterAll(async () => {
  await rig?.close();
});
beforeEach(() => rig.upstream.reset());

const nanos = (tokens: { input: number; output: number }) => Math.round((tokens.input * PRICE.input + tokens.output * PRICE.output) * 1e3);

describe.each(FACE_MODES)('$face, $mode', ({ face, mode, stream }) => {
  it('records every attempt, charges only the one that served, and says which one served', async () => {
    rig.upstream.script('primary', { kind: 'error', status: 503 });
    rig.upstream.script('second', { kind: 'reset' });
    rig.upstream.script('fallback', { kind: 'usage', usage: { inputTokens: 100, outputTokens: 50 } });
    const { outcome, row, attempts } = await rig.ask(face, { model: 'up/primary', fallbacks: ['claude/second', 'alt/fallback'], stream });

    const served = RETRIES + 3;
    expect(outcome).toMatchObject({ ok: true, text: 'Echo: hello there', servedModel: 'alt/fallback', attempts: served, bodyModel: 'alt/fallback' });
    const cost = nanos({ input: 100, output: 50 });
    expect(await row()).toMatchObject({ status: 'ok', requestedModel: 'up/primary', servedModel: 'alt/fallback', attempts: served, costNanos: cost });
    expect((await attempts()).map((attempt) => [attempt.seq, attempt.model, attempt.status, attempt.errorKind, attempt.costNanos])).toEqual([
      [1, 'up/primary', 'error', 'upstream_overloaded', null],
      [2, 'up/primary', 'error', 'upstream_overloaded', null],
      [3, 'claude/second', 'error', 'upstream_server_error', null],
      [4, 'alt/fallback', 'ok', null, cost],
    ]);
  });

  it('replays the first answer to a retried call with the same Idempotency-Key, with no second upstream call', async () => {
    // The first call fails over; were the retry to run again, the recovered primary would serve it.
    rig.upstream.script('primary', [{ kind: 'error', status: 500 }, { kind: 'ok' }]);
    const headers = { 'Idempotency-Key': `failover-${face}-${mode}` };
    const first = await rig.ask(face, { model: 'up/primary', fallbacks: ['alt/fallback'], stream, headers });
    expect(first.outcome).toMatchObject({ ok: true, servedModel: 'alt/fallback', attempts: 2 });
    const firstRow = await first.row();

    const again = await rig.ask(face, { model: 'up/primary', fallbacks: ['alt/fallback'], stream, headers });
    expect(again.outcome).toMatchObject({ ok: true, text: first.outcome.text, servedModel: 'alt/fallback', attempts: 2 });
    expect(rig.calls('primary')).toBe(1);
    expect(rig.calls('fallback')).toBe(1);
    expect((await rig.gateway.ledger.requests()).filter((candidate) => candidate.requestedModel === 'up/primary').at(-1)!.id).toBe(firstRow.id);
  });
});
