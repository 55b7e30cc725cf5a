import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../support/gateway.js';
import { expectKind, FACE_MODES } from './faces.js';
import { standardProviders, startRig, type Rig } from './rig.js';

/**
 * Failover conformance, a flapping primary: after N failures in a row its circuit opens and the
 * router skips it; after the cool-down one trial goes through; a failed trial opens it again, a
 * good one closes it. Each face and mode has its own primary, so each row starts closed. The
 * gateway's clock moves only when a test moves it past the cool-down: nothing waits.
 */
let rig: Rig;
const THRESHOLD = 2;
const COOLDOWN_MS = 60_000;
const clock = manualClock();

beforeAll(async () => {
  rig = await startRig((url) => ({
    routing: { retries: 0, backoffMs: 1, maxBackoffMs: 10, circuitBreaker: { failureThreshold: THRESHOLD, cooldownMs: COOLDOWN_MS } },
    providers: standardProviders(url),
  }), { clock: clock.now });
});
afterAll(async () => {
  await rig?.close();
});

describe.each(FACE_MODES)('$face, $mode', ({ face, mode, stream }) => {
  const flaky = `flaky-${face}-${mode}`;
  const lonely = `lonely-${face}-${mode}`;

  it('opens after N failures in a row, half-opens after the cool-down, re-opens on a failed trial and closes on a good one', async () => {
    rig.upstream.script(flaky, [{ kind: 'error', status: 500 }, { kind: 'error', status: 500 }, { kind: 'error', status: 500 }, { kind: 'ok' }]);
    const ask = async () => (await rig.ask(face, { model: `up/${flaky}`, fallbacks: ['alt/fallback'], stream })).outcome;

    for (let index = 0; index < THRESHOLD; index++) expect(await ask()).toMatchObject({ ok: true, servedModel: 'alt/fallback', attempts: 2 });
    expect(rig.calls(flaky)).toBe(THRESHOLD);

    // Open: the primary is not even tried.
    expect(await ask()).toMatchObject({ ok: true, servedModel: 'alt/fallback', attempts: 1 });
    expect(rig.calls(flaky)).toBe(THRESHOLD);

    // Half-open: one trial, which fails, so the circuit opens again at once.
    clock.advance(COOLDOWN_MS);
    expect(await ask()).toMatchObject({ ok: true, servedModel: 'alt/fallback', attempts: 2 });
    expect(rig.calls(flaky)).toBe(THRESHOLD + 1);
    expect(await ask()).toMatchObject({ ok: true, servedModel: 'alt/fallback', attempts: 1 });
    expect(rig.calls(flaky)).toBe(THRESHOLD + 1);

    // Still open just before the new cool-down ends.
    clock.advance(COOLDOWN_MS - 1);
    expect(await ask()).toMatchObject({ ok: true, servedModel: 'alt/fallback', attempts: 1 });
    expect(rig.calls(flaky)).toBe(THRESHOLD + 1);

    // The primary has recovered: the next trial succeeds and closes the circuit for good.
    clock.advance(1);
    expect(await ask()).toMatchObject({ ok: true, servedModel: `up/${flaky}`, attempts: 1 });
    expect(await ask()).toMatchObject({ ok: true, servedModel: `up/${flaky}`, attempts: 1 });
    expect(rig.calls(flaky)).toBe(THRESHOLD + 3);
  });

  it('answers 503 circuit_open, with no upstream call, while the only candidate is paused', async () => {
    rig.upstream.script(lonely, { kind: 'error', status: 503 });
    const ask = () => rig.ask(face, { model: `up/${lonely}`, stream });
    for (let index = 0; index < THRESHOLD; index++) expect((await ask()).outcome.error).toMatchObject({ status: 503 });
    expect(rig.calls(lonely)).toBe(THRESHOLD);

    const paused = await ask();
    expect(paused.outcome.ok).toBe(false);
    expect(paused.outcome.error).toMatchObject({ status: 503, inBand: false });
    expect(paused.outcome.error!.message).toMatch(/paused.*cool-down/);
    expectKind(paused.outcome, 'circuit_open');
    expect(rig.calls(lonely)).toBe(THRESHOLD);
    expect(await paused.row()).toMatchObject({ status: 'error', errorKind: 'circuit_open', attempts: 0 });
  });
});
