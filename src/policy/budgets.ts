import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { BudgetStatus } from '../core/types.js';
import { periodEnd, periodStart } from './budget-period.js';
import type { StoreOutage } from './state/outage.js';
import type { RatePlan, RateTicket } from './rate-limits.js';
import type { BudgetCounters, CounterReading, CounterRef, HoldRequest } from './state/types.js';
import type { EventSink, Principal } from './types.js';
import type { BudgetPeriod, SpendFilter } from '../store/types.js';

export interface BudgetScope {
  scope: BudgetStatus['scope'];
  scopeId: string;
  limitNanos: number;
  period: BudgetPeriod;
  filter: Omit<SpendFilter, 'since'>;
}

/** What a held worst case counts besides tokens. */
export interface WorstCaseParts {
  webSearches?: number;
}

export interface Reservation {
  readonly nanos: number;
  /** The rate windows taken with the hold, when a plan was given. */
  readonly ticket: RateTicket | undefined;
  /** Replaces the hold with the real cost (null cost: nothing is charged). Never rejects. */
  settle(costNanos: number | null): Promise<void>;
  /** Drops the hold: the request failed or was never sent. Never rejects. */
  release(): Promise<void>;
}

export interface BudgetsOptions {
  config: Config;
  counters: BudgetCounters;
  /** Spend in the ledger (the truth) since a time: counters start from it. */
  spentSince: (filter: SpendFilter) => Promise<number>;
  events: EventSink;
  outage: StoreOutage;
  clock?: () => Date;
}

/** A counter with the period it counts. */
interface PeriodCounter extends CounterRef {
  periodStart: string | null;
}

const THRESHOLDS = [0.5, 0.8, 1];
const NANOS = 1e9;
/** Attempts at a hold when counters must first be loaded from the ledger (a period may roll in between). */
const RESERVE_ROUNDS = 3;

/**
 * Hard budgets, exact under concurrency across every process that shares the counters:
 * admission holds the request's worst case against every budget that applies, settlement swaps
 * the hold for the real cost. A counter starts from the ledger for its period the first time it
 * is needed; holds expire on their own, so a process that dies leaves nothing held for long.
 */
export class Budgets {
  private readonly config: Config;
  private readonly counters: BudgetCounters;
  private readonly clock: () => Date;
  /** Ledger loads in flight, one per counter, so a burst of requests loads it once. */
  private readonly loading = new Map<string, Promise<void>>();
  /** Counters a charge could not be written to: reloaded from the ledger before their next use. */
  private readonly stale = new Map<string, BudgetScope>();

  constructor(private readonly options: BudgetsOptions) {
    this.config = options.config;
    this.counters = options.counters;
    this.clock = options.clock ?? (() => new Date());
  }

  /** Every budget that applies to a caller with this attribution. */
  scopesFor(principal: Principal | undefined, user: string | null, tags: string[]): BudgetScope[] {
    const scopes: BudgetScope[] = [];
    const budget = principal?.limits.budget;
    if (budget && principal?.keyId) {
      scopes.push({
        scope: 'key',
        scopeId: principal.keyName ?? principal.keyId,
        limitNanos: Math.round(budget.limitUsd * NANOS),
        period: budget.period,
        filter: { keyId: principal.keyId },
      });
    }
    for (const configured of this.configuredScopes()) {
      if (
        configured.scope === 'global' ||
        (configured.scope === 'user' && configured.scopeId === user) ||
        (configured.scope === 'tag' && tags.includes(configured.scopeId))
      ) {
        scopes.push(configured);
      }
    }
    return scopes;
  }

  /** Every budget the config sets, on whomever it falls. */
  configuredScopes(): BudgetScope[] {
    return this.config.budgets.limits.map((configured): BudgetScope => {
      const limitNanos = Math.round(configured.limitUsd * NANOS);
      const id = configured.id ?? '';
      if (configured.scope === 'user') return { scope: 'user', scopeId: id, limitNanos, period: configured.period, filter: { user: id } };
      if (configured.scope === 'tag') return { scope: 'tag', scopeId: id, limitNanos, period: configured.period, filter: { tag: id } };
      return { scope: 'global', scopeId: 'gateway', limitNanos, period: configured.period, filter: {} };
    });
  }

  /**
   * Holds `nanos` against every scope, or refuses with the first one that cannot fit it. With a
   * rate plan, its windows are taken in the same trip to the store, both or neither: a request
   * over budget takes no rate slot, one over its rate limit (429) leaves no hold. `parts` says
   * what the worst case counts besides tokens, for a refusal to name.
   */
  async reserve(scopes: BudgetScope[], nanos: number, rate?: RatePlan, parts: WorstCaseParts = {}): Promise<Reservation> {
    const now = this.clock();
    const held = scopes.map((scope) => counterOf(scope, now));
    const hold: HoldRequest = { id: randomUUID(), nanos, counters: held, limits: scopes.map((scope) => scope.limitNanos), ...(rate ? { windows: rate.windows } : {}) };
    try {
      await this.repairStale(held, now);
      for (let round = 0; round < RESERVE_ROUNDS; round++) {
        const outcome = await this.counters.reserve(hold, now.getTime());
        if (outcome.kind === 'held') {
          this.options.outage.checked();
          return this.reservation(scopes, held, hold.id, nanos, rate?.admitted(outcome.counts, now.getTime()));
        }
        if (outcome.kind === 'refused') {
          throw this.exhausted(scopes[outcome.counter]!, held[outcome.counter]!, outcome.spentNanos, outcome.reservedNanos, nanos, parts);
        }
        if (outcome.kind === 'rate-limited') {
          this.options.outage.checked();
          throw rate!.refusal(outcome.window, outcome.counts, now.getTime());
        }
        await Promise.all(outcome.counters.map((index) => this.load(scopes[index]!, held[index]!, now)));
      }
      throw new GatewayError('internal', 'the budget counters could not be started from the ledger; retry');
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      this.options.outage.checkFailed(error, 'the budget');
      return { nanos, ticket: rate?.unchecked(), settle: async () => undefined, release: async () => undefined };
    }
  }

  /** What is spent and held against each scope; from the ledger alone while the counters are out of reach. */
  async status(scopes: BudgetScope[]): Promise<BudgetStatus[]> {
    if (scopes.length === 0) return [];
    const now = this.clock();
    const refs = scopes.map((scope) => counterOf(scope, now));
    let readings: Array<CounterReading | null>;
    try {
      readings = await this.counters.read(refs, now.getTime());
      const unseeded = readings.flatMap((reading, index) => (reading ? [] : [index]));
      if (unseeded.length) {
        await Promise.all(unseeded.map((index) => this.load(scopes[index]!, refs[index]!, now)));
        readings = await this.counters.read(refs, now.getTime());
      }
    } catch (error) {
      this.options.outage.lost(error, 'reading the budget counters');
      readings = await Promise.all(scopes.map(async (scope, index) => ({ spentNanos: await this.ledgerSpent(scope, refs[index]!), reservedNanos: 0 })));
    }
    return scopes
      .map((scope, index) => {
        const reading = readings[index] ?? { spentNanos: 0, reservedNanos: 0 };
        const remaining = Math.max(0, scope.limitNanos - reading.spentNanos - reading.reservedNanos);
        const ref = refs[index]!;
        return {
          scope: scope.scope,
          scopeId: scope.scopeId,
          period: scope.period,
          limitUsd: scope.limitNanos / NANOS,
          spentUsd: reading.spentNanos / NANOS,
          reservedUsd: reading.reservedNanos / NANOS,
          remainingUsd: remaining / NANOS,
          periodStart: ref.periodStart,
          resetsAt: ref.endsAt === null ? null : new Date(ref.endsAt).toISOString(),
        } satisfies BudgetStatus;
      })
      .sort((a, b) => a.remainingUsd - b.remainingUsd);
  }

  private reservation(scopes: BudgetScope[], held: PeriodCounter[], holdId: string, nanos: number, ticket: RateTicket | undefined): Reservation {
    let open = true;
    return {
      nanos,
      ticket,
      release: async () => {
        if (!open) return;
        open = false;
        await this.counters.release(holdId, held, this.clock().getTime()).catch((error: unknown) => this.options.outage.lost(error, 'a budget release'));
      },
      settle: async (costNanos) => {
        if (!open) return;
        open = false;
        const now = this.clock();
        const cost = costNanos === null || costNanos <= 0 ? 0 : Math.round(costNanos);
        // The cost counts in the period it is recorded in, which may have begun mid-request.
        const charged = cost > 0 ? scopes.map((scope) => counterOf(scope, now)) : [];
        try {
          const moved = await this.counters.settle(holdId, held, charged, cost, now.getTime());
          moved.forEach((change, index) => {
            if (change) this.announce(scopes[index]!, charged[index]!, change.beforeNanos, change.afterNanos);
          });
        } catch (error) {
          this.options.outage.lost(error, 'a budget charge');
          charged.forEach((ref, index) => this.stale.set(ref.id, scopes[index]!));
        }
      },
    };
  }

  /** Starts a counter from the ledger, once per counter at a time; a counter another process started stays as it is. */
  private load(scope: BudgetScope, ref: PeriodCounter, now: Date, overwrite = false): Promise<void> {
    const running = this.loading.get(ref.id);
    if (running) return running;
    const loading = (async () => {
      const spent = await this.ledgerSpent(scope, ref);
      await this.counters.seed(ref, spent, now.getTime(), overwrite);
    })().finally(() => this.loading.delete(ref.id));
    this.loading.set(ref.id, loading);
    return loading;
  }

  private async repairStale(refs: PeriodCounter[], now: Date): Promise<void> {
    if (this.stale.size === 0) return;
    for (const ref of refs) {
      const scope = this.stale.get(ref.id);
      if (!scope) continue;
      await this.load(scope, ref, now, true);
      this.stale.delete(ref.id);
    }
  }

  private ledgerSpent(scope: BudgetScope, ref: PeriodCounter): Promise<number> {
    return this.options.spentSince({ ...scope.filter, ...(ref.periodStart ? { since: ref.periodStart } : {}) });
  }

  /** Announces each threshold this charge crossed: exactly one charge crosses it, whichever process made it. */
  private announce(scope: BudgetScope, ref: PeriodCounter, beforeNanos: number, afterNanos: number): void {
    for (const threshold of THRESHOLDS) {
      const mark = threshold * scope.limitNanos;
      if (beforeNanos >= mark || afterNanos < mark) continue;
      this.options.events.emit({
        type: 'budget.threshold',
        data: {
          scope: scope.scope,
          scopeId: scope.scopeId,
          threshold,
          limitUsd: scope.limitNanos / NANOS,
          spentUsd: afterNanos / NANOS,
          period: scope.period,
          periodStart: ref.periodStart ?? '',
        },
      });
    }
  }

  /**
   * A budget already spent says so; otherwise the message says why this request did not fit: its
   * worst case is more than what is left, which a first request with a large max_tokens can be.
   */
  private exhausted(scope: BudgetScope, ref: PeriodCounter, spentNanos: number, reservedNanos: number, neededNanos: number, parts: WorstCaseParts): GatewayError {
    const resetsAt = ref.endsAt === null ? null : new Date(ref.endsAt).toISOString();
    const remainingNanos = Math.max(0, scope.limitNanos - spentNanos - reservedNanos);
    // Billionths are the counters' unit: nine decimals show any budget exactly, trailing zeros cut.
    const usd = (nanos: number) => `$${(nanos / NANOS).toFixed(9).replace(/0+$/, '').replace(/\.$/, '')}`;
    const name = `${scope.scope} "${scope.scopeId}"`;
    const period = `${scope.period === 'total' ? 'total budget' : `per ${scope.period}`}${resetsAt ? `, resets ${resetsAt}` : ', never resets'}`;
    const searches = parts.webSearches ?? 0;
    const from = searches > 0
      ? `from the prompt, max_tokens (or the model's output cap without it) and up to ${searches} web search${searches === 1 ? '' : 'es'}`
      : "from the prompt and max_tokens, or the model's output cap without it";
    const message =
      spentNanos >= scope.limitNanos
        ? `budget exhausted for ${name}: ${usd(spentNanos)} spent of ${usd(scope.limitNanos)} (${period}); raise the budget or wait for it to reset`
        : `budget too small for this request (${name}): its worst case (${usd(neededNanos)}, ${from}) is more than what is left ` +
          `(${usd(remainingNanos)} of ${usd(scope.limitNanos)} ${period}${reservedNanos > 0 ? `; ${usd(reservedNanos)} more is held by requests in flight` : ''}); ` +
          `set or lower max_tokens${searchAdvice(searches)}, pick a cheaper model, or raise the budget`;
    return new GatewayError('insufficient_budget', message, {
      budget: { scope: scope.scope, scopeId: scope.scopeId, limitUsd: scope.limitNanos / NANOS, remainingUsd: remainingNanos / NANOS, resetsAt },
    });
  }
}

/**
 * Several searches come from a search tool's bound, which the caller can lower; a single one may be
 * a search model's or `web_search_options`' one search a request, which only leaving it out saves.
 */
function searchAdvice(searches: number): string {
  if (searches > 1) return " or the search tool's max_uses (max_tool_calls for OpenAI)";
  if (searches === 1) return ' or send it without the web search (a search model searches before every answer)';
  return '';
}

/** The counter of a scope's current period: named by scope and period start, so a new period is a new counter. */
function counterOf(scope: BudgetScope, now: Date): PeriodCounter {
  const start = periodStart(scope.period, now)?.toISOString() ?? null;
  const end = periodEnd(scope.period, now);
  return {
    id: `${scope.scope}:${scope.filter.keyId ?? scope.scopeId}:${scope.period}:${start ?? 'total'}`,
    endsAt: end?.getTime() ?? null,
    periodStart: start,
  };
}
