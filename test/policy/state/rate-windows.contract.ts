/**
 * The rate-limit windows contract, run on every backend through the RateLimiter with a fake
 * clock: refusals name the exact wait, the previous minute weighs by its overlap, token holds
 * are reconciled, and every instance counts in the same windows.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { GatewayError } from '../../../src/core/errors.js';
import { RateLimiter, type RateRule } from '../../../src/policy/rate-limits.js';
import { StoreOutage } from '../../../src/policy/state/outage.js';
import type { PolicyState } from '../../../src/policy/state/types.js';
import type { Backend } from './backends.js';
import { refusalOf } from './refusal-of.js';

/** 15 s into a minute. */
const START = Date.parse('2026-03-10T12:00:15.000Z');

export function rateWindowsContract(makeBackend: () => Backend): void {
  let backend: Backend;
  let now: number;
  const limiterOn = (state: PolicyState) => new RateLimiter(state.rateWindows, new StoreOutage('deny', undefined), () => now);

  beforeEach(() => {
    backend = makeBackend();
    now = START;
  });
  afterEach(async () => {
    await backend.close();
  });

  it('admits up to the RPM, then refuses with 429 and the seconds until the window has room', async () => {
    const limiter = limiterOn(backend.instance());
    const rules: RateRule[] = [{ id: 'model:up/m', rpm: 3 }];
    const states = [];
    for (let index = 0; index < 3; index++) states.push((await limiter.admit(rules, 10)).state);
    expect(states.map((state) => state.requests?.remaining)).toEqual([2, 1, 0]);
    // Nothing from the previous minute: the window has room when this minute ends, in 45 s.
    expect(states[0]!.requests).toEqual({ limit: 3, remaining: 2, resetSeconds: 45 });
    const refused = await refusalOf(limiter.admit(rules, 10));
    expect(refused.kind).toBe('rate_limited');
    expect(refused.message).toBe('rate limit reached for model up/m: 3 requests per minute; retry in 45 s');
    expect(refused.details).toEqual({ retryAfterSeconds: 45, rateLimit: { limit: 3, remaining: 0, resetSeconds: 45, kind: 'requests' } });
  });

  it('weighs the previous minute by how much of it still overlaps the window', async () => {
    const limiter = limiterOn(backend.instance());
    const rules: RateRule[] = [{ id: 'key:k_1', rpm: 3 }];
    for (let index = 0; index < 3; index++) await limiter.admit(rules, 0);
    // Half-way through the next minute the previous 3 weigh 1.5: one more fits (2.5), a second does not.
    now = Date.parse('2026-03-10T12:01:30.000Z');
    await limiter.admit(rules, 0);
    const refused = await refusalOf(limiter.admit(rules, 0));
    // Room for one more once the previous minute weighs 1 or less: 2/3 of the way through, in 10 s.
    expect(refused.details.retryAfterSeconds).toBe(10);
    expect(refused.message).toBe('rate limit reached for this key: 3 requests per minute; retry in 10 s');
    now += 10_000;
    await limiter.admit(rules, 0);
    // Two minutes on, the first minute weighs nothing.
    now = Date.parse('2026-03-10T12:03:00.000Z');
    for (let index = 0; index < 3; index++) await limiter.admit(rules, 0);
  });

  it('holds TPM at admission, reconciles it with what was used, and gives it back on release', async () => {
    const limiter = limiterOn(backend.instance());
    const rules: RateRule[] = [{ id: 'model:up/m', tpm: 200 }];
    const first = await limiter.admit(rules, 150);
    expect(first.state.tokens).toEqual({ limit: 200, remaining: 50, resetSeconds: 45 });
    const tooBig = await refusalOf(limiter.admit(rules, 100));
    expect(tooBig.message).toMatch(/200 tokens per minute/);
    expect(tooBig.details.rateLimit).toMatchObject({ kind: 'tokens', remaining: 50 });
    await first.settle(20);
    const second = await limiter.admit(rules, 150);
    expect(second.state.tokens?.remaining).toBe(30);
    await second.release();
    // A request larger than the whole limit is let in when the window is empty enough to hold the limit.
    const huge = await limiter.admit(rules, 180);
    expect(huge.state.tokens?.remaining).toBe(0);
  });

  it('reports the tightest window of all rules that applied', async () => {
    const limiter = limiterOn(backend.instance());
    const ticket = await limiter.admit([{ id: 'key:k_1', rpm: 10, tpm: 1_000 }, { id: 'model:up/m', rpm: 4, tpm: 500 }], 100);
    expect(ticket.state).toEqual({
      requests: { limit: 4, remaining: 3, resetSeconds: 45 },
      tokens: { limit: 500, remaining: 400, resetSeconds: 45 },
    });
  });

  it('refuses without counting: a refused request adds to no window', async () => {
    const limiter = limiterOn(backend.instance());
    await limiter.admit([{ id: 'model:up/m', rpm: 1 }], 0);
    // The key's window has room, the model's does not: neither counts this request.
    for (let index = 0; index < 5; index++) await refusalOf(limiter.admit([{ id: 'key:k_1', rpm: 2 }, { id: 'model:up/m', rpm: 1 }], 0));
    const ticket = await limiter.admit([{ id: 'key:k_1', rpm: 2 }], 0);
    expect(ticket.state.requests?.remaining).toBe(1);
  });

  it('two instances count in the same windows: 100 concurrent requests against 10 RPM, exactly 10 let in', async () => {
    const one = limiterOn(backend.instance());
    const two = limiterOn(backend.instance());
    const rules: RateRule[] = [{ id: 'key:k_shared', rpm: 10 }];
    const outcomes = await Promise.allSettled(Array.from({ length: 100 }, (_, index) => (index % 2 ? one : two).admit(rules, 0)));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(10);
    const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as GatewayError] : []));
    expect(new Set(refusals.map((refusal) => refusal.details.retryAfterSeconds))).toEqual(new Set([45]));
  });
}
