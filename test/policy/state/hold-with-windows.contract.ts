/**
 * The contract of a budget hold that takes rate-limit windows in the same step, run on every
 * backend through Budgets and RateLimiter with a fake clock: both are taken or neither, the budget
 * answers first, and under concurrency across instances no refused request leaves a hold or a
 * rate slot behind. State is read back after each refusal.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import type { GatewayError } from '../../../src/core/errors.js';
import { Budgets, type BudgetScope } from '../../../src/policy/budgets.js';
import { RateLimiter, type RateRule } from '../../../src/policy/rate-limits.js';
import { StoreOutage } from '../../../src/policy/state/outage.js';
import type { PolicyState, WindowCounts } from '../../../src/policy/state/types.js';
import type { Backend } from './backends.js';
import { refusalOf } from './refusal-of.js';

/** One request's worst case: $0.001. */
const UNIT = 1_000_000;
const dailyBudget = (units: number): BudgetScope => ({ scope: 'global', scopeId: 'gateway', limitNanos: units * UNIT, period: 'day', filter: {} });
const RULE = 'key:k_1';

export function holdWithWindowsContract(makeBackend: () => Backend): void {
  let backend: Backend;
  let now: Date;
  let ledgerAsked: number;
  const config = parseConfig({}, {});

  /** One gateway instance's view: its budgets and its rate limiter on a handle of the shared state. */
  const policyOn = (state: PolicyState) => {
    const outage = new StoreOutage('deny', undefined);
    const budgets = new Budgets({
      config,
      counters: state.budgets,
      spentSince: async () => {
        ledgerAsked++;
        return 0;
      },
      events: { emit: () => undefined },
      outage,
      clock: () => now,
    });
    const limiter = new RateLimiter(state.rateWindows, outage, () => now.getTime());
    const admit = (scope: BudgetScope, nanos: number, rules: RateRule[], tokens: number) => budgets.reserve([scope], nanos, limiter.plan(rules, tokens));
    return { budgets, limiter, admit };
  };
  /** The windows' counts as they stand, read without adding anything. */
  const windowCounts = async (state: PolicyState): Promise<WindowCounts[]> => {
    const reading = await state.rateWindows.take(
      ['requests', 'tokens'].map((kind) => ({ id: `${RULE}:${kind}`, limit: Number.MAX_SAFE_INTEGER, need: 0, add: 0 })),
      now.getTime(),
    );
    return reading.counts;
  };

  beforeEach(() => {
    backend = makeBackend();
    // 15 s into a minute.
    now = new Date('2026-03-10T12:00:15.000Z');
    ledgerAsked = 0;
  });
  afterEach(async () => {
    await backend.close();
  });

  it('takes the windows with the hold, once even when the counter is first loaded from the ledger, and the ticket reconciles tokens', async () => {
    const state = backend.instance();
    const { budgets, admit } = policyOn(state);
    const scope = dailyBudget(10);
    const admitted = await admit(scope, UNIT, [{ id: RULE, rpm: 3, tpm: 1000 }], 100);
    // The counter had no figure: loaded, then the hold and the windows taken in the retry, once.
    expect(ledgerAsked).toBe(1);
    expect(admitted.ticket?.state).toEqual({ requests: { limit: 3, remaining: 2, resetSeconds: 45 }, tokens: { limit: 1000, remaining: 900, resetSeconds: 45 } });
    expect((await budgets.status([scope]))[0]).toMatchObject({ reservedUsd: 0.001 });
    expect(await windowCounts(state)).toEqual([
      { current: 1, previous: 0 },
      { current: 100, previous: 0 },
    ]);
    await admitted.ticket!.settle(40);
    await admitted.settle(UNIT / 2);
    expect(await windowCounts(state)).toEqual([
      { current: 1, previous: 0 },
      { current: 40, previous: 0 },
    ]);
    expect((await budgets.status([scope]))[0]).toMatchObject({ spentUsd: 0.0005, reservedUsd: 0 });
  });

  it('a request over its rate limit gets 429 and leaves no hold behind', async () => {
    const state = backend.instance();
    const { budgets, admit } = policyOn(state);
    const scope = dailyBudget(10);
    const rules: RateRule[] = [{ id: RULE, rpm: 1 }];
    await admit(scope, UNIT, rules, 10);
    const refused = await refusalOf(admit(scope, 2 * UNIT, rules, 10));
    expect(refused.kind).toBe('rate_limited');
    expect(refused.message).toBe('rate limit reached for this key: 1 requests per minute; retry in 45 s');
    expect(refused.details).toEqual({ retryAfterSeconds: 45, rateLimit: { limit: 1, remaining: 0, resetSeconds: 45, kind: 'requests' } });
    // Only the first request's hold; the refused one's was never placed.
    expect((await budgets.status([scope]))[0]).toMatchObject({ reservedUsd: 0.001, remainingUsd: 0.009 });
    expect((await windowCounts(state))[0]).toEqual({ current: 1, previous: 0 });
  });

  it('a request over budget gets 402 and takes no rate slot or tokens', async () => {
    const state = backend.instance();
    const { admit } = policyOn(state);
    const scope = dailyBudget(1);
    const rules: RateRule[] = [{ id: RULE, rpm: 2, tpm: 1000 }];
    const refused = await refusalOf(admit(scope, 2 * UNIT, rules, 300));
    expect(refused.kind).toBe('insufficient_budget');
    expect(await windowCounts(state)).toEqual([
      { current: 0, previous: 0 },
      { current: 0, previous: 0 },
    ]);
    // The whole limit is still there for a request that fits.
    expect((await admit(scope, UNIT, rules, 300)).ticket?.state.requests?.remaining).toBe(1);
  });

  it('over both, the budget answers (402) and neither is taken', async () => {
    const state = backend.instance();
    const { budgets, admit } = policyOn(state);
    const scope = dailyBudget(1);
    const rules: RateRule[] = [{ id: RULE, rpm: 1 }];
    await admit(scope, UNIT, rules, 10);
    expect((await refusalOf(admit(scope, UNIT, rules, 10))).kind).toBe('insufficient_budget');
    expect((await budgets.status([scope]))[0]).toMatchObject({ reservedUsd: 0.001 });
    expect((await windowCounts(state))[0]).toEqual({ current: 1, previous: 0 });
  });

  it('two instances, 60 concurrent requests: the tighter of budget and rate limit decides, and no refusal leaves anything taken', async () => {
    const one = policyOn(backend.instance());
    const two = policyOn(backend.instance());
    const admitMany = (scope: BudgetScope, rpm: number) =>
      Promise.allSettled(Array.from({ length: 60 }, (_, index) => (index % 2 ? one : two).admit(scope, UNIT, [{ id: RULE, rpm }], 10)));
    const kinds = (outcomes: Array<PromiseSettledResult<unknown>>) =>
      outcomes.reduce<Record<string, number>>((counted, outcome) => {
        const kind = outcome.status === 'fulfilled' ? 'admitted' : (outcome.reason as GatewayError).kind;
        counted[kind] = (counted[kind] ?? 0) + 1;
        return counted;
      }, {});

    // The rate limit is tighter: 10 held, the 50 refused with 429 hold nothing.
    const rateBound = dailyBudget(20);
    expect(kinds(await admitMany(rateBound, 10))).toEqual({ admitted: 10, rate_limited: 50 });
    expect((await one.budgets.status([rateBound]))[0]).toMatchObject({ reservedUsd: 0.01 });
    expect((await windowCounts(backend.instance()))[0]).toEqual({ current: 10, previous: 0 });

    // A minute on the window is empty again; now the budget is tighter: the 50 refused with 402 take no slot.
    now = new Date(now.getTime() + 120_000);
    const budgetBound = { ...dailyBudget(10), scopeId: 'other', scope: 'user' as const, filter: { user: 'other' } };
    expect(kinds(await admitMany(budgetBound, 20))).toEqual({ admitted: 10, insufficient_budget: 50 });
    expect((await windowCounts(backend.instance()))[0]).toEqual({ current: 10, previous: 0 });
  });
}
