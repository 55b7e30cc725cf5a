/**
 * The circuit breaker contract, run on every backend through CircuitBreakers with a fake clock:
 * opening after N failures in a row, the cool-down, one trial at a time across instances, and a
 * trial whose process died freed after its deadline.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { CircuitBreakers } from '../../../src/core/circuit-breaker.js';
import { StoreOutage } from '../../../src/policy/state/outage.js';
import type { PolicyState } from '../../../src/policy/state/types.js';
import type { Backend } from './backends.js';

const THRESHOLD = 3;
const COOLDOWN_MS = 30_000;
const TRIAL_MS = 5_000;
const ID = 'up/primary';

export function breakerStatesContract(makeBackend: () => Backend): void {
  let backend: Backend;
  let now: number;
  const breakersOn = (state: PolicyState) =>
    new CircuitBreakers({ failureThreshold: THRESHOLD, cooldownMs: COOLDOWN_MS }, state.breakers, new StoreOutage('deny', undefined), () => now);

  beforeEach(() => {
    backend = makeBackend();
    now = Date.parse('2026-03-10T12:00:00.000Z');
  });
  afterEach(async () => {
    await backend.close();
  });

  it('opens after N unhealthy failures in a row, on every instance, and half-opens after the cool-down', async () => {
    const one = breakersOn(backend.instance());
    const two = breakersOn(backend.instance());
    await one.failure(ID, 'upstream_server_error');
    await two.failure(ID, 'upstream_overloaded');
    expect(await one.state(ID)).toBe('closed');
    expect(await two.allow(ID, TRIAL_MS)).toBe(true);
    await one.failure(ID, 'upstream_timeout');
    for (const breakers of [one, two]) {
      expect(await breakers.state(ID)).toBe('open');
      expect(await breakers.allow(ID, TRIAL_MS)).toBe(false);
    }
    now += COOLDOWN_MS - 1;
    expect(await two.state(ID)).toBe('open');
    now += 1;
    expect(await two.state(ID)).toBe('half-open');
    // Another candidate is not affected.
    expect(await two.state('up/other')).toBe('closed');
  });

  it('failures that are the request’s fault do not count, and a success starts the count again', async () => {
    const breakers = breakersOn(backend.instance());
    await breakers.failure(ID, 'upstream_server_error');
    await breakers.failure(ID, 'upstream_server_error');
    for (let index = 0; index < 5; index++) await breakers.failure(ID, 'upstream_bad_request');
    expect(await breakers.state(ID)).toBe('closed');
    await breakers.success(ID);
    await breakers.failure(ID, 'upstream_server_error');
    await breakers.failure(ID, 'upstream_server_error');
    expect(await breakers.state(ID)).toBe('closed');
  });

  it('half-open lets exactly one trial through across instances; a failed trial opens it again at once', async () => {
    const one = breakersOn(backend.instance());
    const two = breakersOn(backend.instance());
    for (let index = 0; index < THRESHOLD; index++) await one.failure(ID, 'upstream_server_error');
    now += COOLDOWN_MS;
    const allowed = await Promise.all(Array.from({ length: 20 }, (_, index) => (index % 2 ? one : two).allow(ID, TRIAL_MS)));
    expect(allowed.filter(Boolean)).toHaveLength(1);
    await two.failure(ID, 'upstream_connection');
    expect(await one.state(ID)).toBe('open');
    expect(await one.allow(ID, TRIAL_MS)).toBe(false);
    // The new cool-down counts from the failed trial.
    now += COOLDOWN_MS;
    expect(await one.allow(ID, TRIAL_MS)).toBe(true);
    await one.success(ID);
    expect(await two.state(ID)).toBe('closed');
    expect(await two.allow(ID, TRIAL_MS)).toBe(true);
  });

  it('a trial that ended without a verdict frees the next one', async () => {
    const breakers = breakersOn(backend.instance());
    for (let index = 0; index < THRESHOLD; index++) await breakers.failure(ID, 'upstream_server_error');
    now += COOLDOWN_MS;
    expect(await breakers.allow(ID, TRIAL_MS)).toBe(true);
    expect(await breakers.allow(ID, TRIAL_MS)).toBe(false);
    await breakers.release(ID);
    expect(await breakers.allow(ID, TRIAL_MS)).toBe(true);
  });

  it("a trial whose instance died is given to another once the trial's deadline has passed", async () => {
    const doomed = breakersOn(backend.instance());
    const survivor = breakersOn(backend.instance());
    for (let index = 0; index < THRESHOLD; index++) await doomed.failure(ID, 'upstream_server_error');
    now += COOLDOWN_MS;
    expect(await doomed.allow(ID, TRIAL_MS)).toBe(true);
    now += TRIAL_MS - 1;
    expect(await survivor.allow(ID, TRIAL_MS)).toBe(false);
    now += 1;
    expect(await survivor.allow(ID, TRIAL_MS)).toBe(true);
  });
}
