/**
 * The budget counters contract, run on every backend through the Budgets policy with a fake
 * clock: holds are all-or-nothing and exact under concurrency, shared by every instance; holds of
 * a dead instance expire; a counter starts from the ledger once, however many ask at once.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import type { GatewayError } from '../../../src/core/errors.js';
import { Budgets, type BudgetScope } from '../../../src/policy/budgets.js';
import type { SpendFilter } from '../../../src/store/types.js';
import { StoreOutage } from '../../../src/policy/state/outage.js';
import type { PolicyState } from '../../../src/policy/state/types.js';
import type { PolicyEvent } from '../../../src/policy/types.js';
import { HOLD_TTL_MS, type Backend } from './backends.js';
import { refusalOf } from './refusal-of.js';

/** One request's worst case: $0.001. */
const UNIT = 1_000_000;
const dailyBudget = (units: number): BudgetScope => ({ scope: 'global', scopeId: 'gateway', limitNanos: units * UNIT, period: 'day', filter: {} });
const totalKeyBudget = (units: number): BudgetScope => ({ scope: 'key', scopeId: 'team-a', limitNanos: units * UNIT, period: 'total', filter: { keyId: 'k_1' } });

/** What the ledger holds, as the spend reader reports it; counts how often it is asked. */
class FakeLedger {
  spentNanos = 0;
  readonly asked: SpendFilter[] = [];
  readonly spentSince = async (filter: SpendFilter): Promise<number> => {
    this.asked.push(filter);
    return this.spentNanos;
  };
}

export function budgetCountersContract(makeBackend: () => Backend): void {
  let backend: Backend;
  let now: Date;
  let ledger: FakeLedger;
  let events: PolicyEvent[];
  const config = parseConfig({}, {});

  const budgetsOn = (state: PolicyState, spend: FakeLedger = ledger) =>
    new Budgets({
      config,
      counters: state.budgets,
      spentSince: spend.spentSince,
      events: { emit: (event) => events.push(event) },
      outage: new StoreOutage('deny', undefined),
      clock: () => now,
    });

  beforeEach(() => {
    backend = makeBackend();
    now = new Date('2026-03-10T12:00:00.000Z');
    ledger = new FakeLedger();
    events = [];
  });
  afterEach(async () => {
    await backend.close();
  });

  it('holds the worst case, refuses what does not fit with what is left and when it resets, and settles to the real cost', async () => {
    const budgets = budgetsOn(backend.instance());
    const scope = dailyBudget(3);
    const first = await budgets.reserve([scope], 2 * UNIT);
    expect(await budgets.status([scope])).toEqual([
      expect.objectContaining({ spentUsd: 0, reservedUsd: 0.002, remainingUsd: 0.001, periodStart: '2026-03-10T00:00:00.000Z', resetsAt: '2026-03-11T00:00:00.000Z' }),
    ]);
    const refused = await refusalOf(budgets.reserve([scope], 2 * UNIT));
    expect(refused.kind).toBe('insufficient_budget');
    expect(refused.message).toBe(
      'budget too small for this request (global "gateway"): its worst case ($0.002, from the prompt and max_tokens, or the model\'s output cap without it) is more than what is left ' +
        '($0.001 of $0.003 per day, resets 2026-03-11T00:00:00.000Z; $0.002 more is held by requests in flight); set or lower max_tokens, pick a cheaper model, or raise the budget',
    );
    expect(refused.details.budget).toEqual({ scope: 'global', scopeId: 'gateway', limitUsd: 0.003, remainingUsd: 0.001, resetsAt: '2026-03-11T00:00:00.000Z' });

    await first.settle(UNIT / 2);
    expect(await budgets.status([scope])).toEqual([expect.objectContaining({ spentUsd: 0.0005, reservedUsd: 0, remainingUsd: 0.0025 })]);
    // Settling twice, or releasing after, changes nothing.
    await first.settle(UNIT);
    await first.release();
    expect((await budgets.status([scope]))[0]).toMatchObject({ spentUsd: 0.0005, reservedUsd: 0 });
    // The counter started from the ledger, for this period only.
    expect(ledger.asked).toEqual([{ since: '2026-03-10T00:00:00.000Z' }]);
  });

  it('holds against every scope or none: a refusal by one leaves the others untouched', async () => {
    const budgets = budgetsOn(backend.instance());
    const roomy = dailyBudget(100);
    const tight = totalKeyBudget(1);
    await refusalOf(budgets.reserve([roomy, tight], 2 * UNIT));
    expect((await budgets.status([roomy]))[0]).toMatchObject({ reservedUsd: 0 });
    const held = await budgets.reserve([roomy, tight], UNIT);
    const statuses = await budgets.status([roomy, tight]);
    expect(statuses.map((status) => [status.scope, status.reservedUsd, status.resetsAt])).toEqual([
      ['key', 0.001, null],
      ['global', 0.001, '2026-03-11T00:00:00.000Z'],
    ]);
    await held.release();
    expect((await budgets.status([roomy, tight])).map((status) => status.reservedUsd)).toEqual([0, 0]);
  });

  it('refuses even a free request once nothing is left', async () => {
    const budgets = budgetsOn(backend.instance());
    ledger.spentNanos = 3 * UNIT;
    const refused = await refusalOf(budgets.reserve([dailyBudget(3)], 0));
    expect(refused.details.budget?.remainingUsd).toBe(0);
  });

  it('200 concurrent reserves against a budget that fits 10: exactly 10 are held', async () => {
    const budgets = budgetsOn(backend.instance());
    const scope = dailyBudget(10);
    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, () => budgets.reserve([scope], UNIT)));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(10);
    const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as GatewayError] : []));
    expect(refusals).toHaveLength(190);
    expect(new Set(refusals.map((refusal) => refusal.kind))).toEqual(new Set(['insufficient_budget']));
    expect((await budgets.status([scope]))[0]).toMatchObject({ reservedUsd: 0.01, remainingUsd: 0 });
    // The counter was started from the ledger once, not once per request.
    expect(ledger.asked).toHaveLength(1);
  });

  it('two instances share one budget: 200 concurrent reserves spread over both, exactly 10 held', async () => {
    const one = budgetsOn(backend.instance());
    const two = budgetsOn(backend.instance());
    const scope = dailyBudget(10);
    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, index) => (index % 2 ? one : two).reserve([scope], UNIT)));
    const held = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    expect(held).toHaveLength(10);
    // Each settles for half its hold: half the budget comes back, on both instances.
    await Promise.all(held.map((reservation) => reservation.settle(UNIT / 2)));
    for (const budgets of [one, two]) expect((await budgets.status([scope]))[0]).toMatchObject({ spentUsd: 0.005, reservedUsd: 0, remainingUsd: 0.005 });
    const more = await Promise.allSettled(Array.from({ length: 50 }, (_, index) => (index % 2 ? one : two).reserve([scope], UNIT)));
    expect(more.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(5);
  });

  it("a killed instance's holds expire after the hold lifetime, and not before", async () => {
    const scope = dailyBudget(10);
    const doomed = budgetsOn(backend.instance());
    // The doomed instance holds the whole budget and dies without settling or releasing.
    await Promise.all(Array.from({ length: 10 }, () => doomed.reserve([scope], UNIT)));
    const survivor = budgetsOn(backend.instance());
    await refusalOf(survivor.reserve([scope], UNIT));

    now = new Date(now.getTime() + HOLD_TTL_MS - 1);
    await refusalOf(survivor.reserve([scope], UNIT));
    expect((await survivor.status([scope]))[0]).toMatchObject({ reservedUsd: 0.01 });

    now = new Date(now.getTime() + 1);
    expect((await survivor.status([scope]))[0]).toMatchObject({ reservedUsd: 0, remainingUsd: 0.01 });
    const held = await Promise.allSettled(Array.from({ length: 20 }, () => survivor.reserve([scope], UNIT)));
    expect(held.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(10);
  });

  it('after the store is emptied, counters are rebuilt from the ledger figure once, not doubled by two instances rebuilding at once', async () => {
    const scope = dailyBudget(10);
    const first = budgetsOn(backend.instance());
    await Promise.all(Array.from({ length: 4 }, async () => (await first.reserve([scope], UNIT)).settle(UNIT)));
    expect((await first.status([scope]))[0]).toMatchObject({ spentUsd: 0.004 });

    // The store loses everything; the ledger still has the 4 charges.
    await backend.wipe();
    const ledgerOne = new FakeLedger();
    const ledgerTwo = new FakeLedger();
    ledgerOne.spentNanos = ledgerTwo.spentNanos = 4 * UNIT;
    const one = budgetsOn(backend.instance(), ledgerOne);
    const two = budgetsOn(backend.instance(), ledgerTwo);
    const outcomes = await Promise.allSettled(Array.from({ length: 100 }, (_, index) => (index % 2 ? one : two).reserve([scope], UNIT)));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(6);
    // Each instance read the ledger at most once; the counter holds the figure once.
    expect(ledgerOne.asked.length).toBeLessThanOrEqual(1);
    expect(ledgerTwo.asked.length).toBeLessThanOrEqual(1);
    expect(ledgerOne.asked.length + ledgerTwo.asked.length).toBeGreaterThanOrEqual(1);
    expect((await one.status([scope]))[0]).toMatchObject({ spentUsd: 0.004, reservedUsd: 0.006 });
  });

  it('a new period is a new counter, started from the ledger since its start; holds of the old one do not weigh on it', async () => {
    const budgets = budgetsOn(backend.instance());
    const scope = dailyBudget(3);
    now = new Date('2026-03-10T23:59:00.000Z');
    const late = await budgets.reserve([scope], 3 * UNIT);
    await refusalOf(budgets.reserve([scope], UNIT));

    now = new Date('2026-03-11T00:00:01.000Z');
    ledger.spentNanos = UNIT;
    expect((await budgets.status([scope]))[0]).toMatchObject({ periodStart: '2026-03-11T00:00:00.000Z', spentUsd: 0.001, reservedUsd: 0 });
    const next = await budgets.reserve([scope], 2 * UNIT);
    expect(ledger.asked.at(-1)).toEqual({ since: '2026-03-11T00:00:00.000Z' });
    // The late request settles now: its cost counts in the period it is recorded in.
    await late.settle(UNIT / 2);
    expect((await budgets.status([scope]))[0]).toMatchObject({ spentUsd: 0.0015, reservedUsd: 0.002 });
    await next.release();
  });

  it('announces 50, 80 and 100 % once each, whichever instance makes the charge that crosses it', async () => {
    const one = budgetsOn(backend.instance());
    const two = budgetsOn(backend.instance());
    const scope = dailyBudget(10);
    ledger.spentNanos = 3 * UNIT; // 30 % already spent before this process started: nothing to announce
    for (let index = 0; index < 7; index++) {
      const budgets = index % 2 ? one : two;
      await (await budgets.reserve([scope], UNIT)).settle(UNIT);
    }
    expect(events.map((event) => event.type === 'budget.threshold' && [event.data.threshold, event.data.spentUsd])).toEqual([
      [0.5, 0.005],
      [0.8, 0.008],
      [1, 0.01],
    ]);
    expect(events[0]).toMatchObject({ data: { scope: 'global', scopeId: 'gateway', limitUsd: 0.01, period: 'day', periodStart: '2026-03-10T00:00:00.000Z' } });
  });

  it('seeding is set-if-absent: a second figure does not replace or add to the first', async () => {
    const counters = backend.instance().budgets;
    const ref = { id: 'global:gateway:day:2026-03-10T00:00:00.000Z', endsAt: Date.parse('2026-03-11T00:00:00.000Z') };
    const at = now.getTime();
    expect(await counters.read([ref], at)).toEqual([null]);
    await Promise.all([counters.seed(ref, 5, at), counters.seed(ref, 7, at)]);
    const [reading] = await counters.read([ref], at);
    expect([5, 7]).toContain(reading!.spentNanos);
    await counters.seed(ref, 9, at);
    expect(await counters.read([ref], at)).toEqual([reading]);
    await counters.seed(ref, 9, at, true);
    expect(await counters.read([ref], at)).toEqual([{ spentNanos: 9, reservedNanos: 0 }]);
  });
}
