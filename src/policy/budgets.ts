import type { Config } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { BudgetStatus } from '../core/types.js';
import { periodEnd, periodStart } from './budget-period.js';
import type { BudgetPeriod, EventSink, Principal } from './types.js';

/** Which ledger rows count against a budget. */
export interface SpendFilter {
  keyId?: string;
  user?: string;
  tag?: string;
  /** ISO time; rows at or after it. */
  since?: string;
}

export interface BudgetScope {
  scope: BudgetStatus['scope'];
  scopeId: string;
  limitNanos: number;
  period: BudgetPeriod;
  filter: Omit<SpendFilter, 'since'>;
}

interface Counter {
  periodStart: string | null;
  resetsAt: Date | null;
  spentNanos: number;
  reservedNanos: number;
  /** Thresholds already announced in this period. */
  notified: Set<number>;
}

export interface Reservation {
  readonly nanos: number;
  /** Replaces the hold with the real cost (null cost: nothing is charged). */
  settle(costNanos: number | null): void;
  /** Drops the hold: the request failed or was never sent. */
  release(): void;
}

const THRESHOLDS = [0.5, 0.8, 1];
const NANOS = 1e9;

/**
 * Hard budgets, exact under concurrency within one process: admission holds the request's
 * worst case against every budget that applies, settlement swaps the hold for the real cost.
 * Counters start from the ledger (the truth) for the current period; holds live only in memory,
 * so a crash leaves nothing held after restart.
 */
export class Budgets {
  private readonly counters = new Map<string, Counter>();

  constructor(
    private readonly config: Config,
    private readonly spentSince: (filter: SpendFilter) => number,
    private readonly events: EventSink,
    private readonly clock: () => Date = () => new Date(),
  ) {}

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
    for (const configured of this.config.budgets.limits) {
      const limitNanos = Math.round(configured.limitUsd * NANOS);
      if (configured.scope === 'global') {
        scopes.push({ scope: 'global', scopeId: 'gateway', limitNanos, period: configured.period, filter: {} });
      } else if (configured.scope === 'user' && user && configured.id === user) {
        scopes.push({ scope: 'user', scopeId: user, limitNanos, period: configured.period, filter: { user } });
      } else if (configured.scope === 'tag' && configured.id && tags.includes(configured.id)) {
        scopes.push({ scope: 'tag', scopeId: configured.id, limitNanos, period: configured.period, filter: { tag: configured.id } });
      }
    }
    return scopes;
  }

  /** Holds `nanos` against every scope, or refuses with the tightest one that cannot fit it. */
  reserve(scopes: BudgetScope[], nanos: number): Reservation {
    const counters = scopes.map((scope) => this.counter(scope));
    scopes.forEach((scope, index) => {
      const counter = counters[index]!;
      const remaining = scope.limitNanos - counter.spentNanos - counter.reservedNanos;
      // A request must fit its worst case; with nothing left, even a free-looking one is refused.
      if (remaining <= 0 || nanos > remaining) throw this.exhausted(scope, counter, Math.max(0, remaining), nanos);
    });
    for (const counter of counters) counter.reservedNanos += nanos;
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      for (const counter of counters) counter.reservedNanos -= nanos;
      return true;
    };
    return {
      nanos,
      release: () => void close(),
      settle: (costNanos) => {
        if (!close()) return;
        if (costNanos === null || costNanos <= 0) return;
        scopes.forEach((scope, index) => {
          const counter = counters[index]!;
          // A period that rolled over mid-request is reloaded from the ledger, which has the row.
          if (this.counter(scope) !== counter) return;
          counter.spentNanos += costNanos;
          this.announce(scope, counter);
        });
      },
    };
  }

  status(scopes: BudgetScope[]): BudgetStatus[] {
    return scopes
      .map((scope) => {
        const counter = this.counter(scope);
        const remaining = Math.max(0, scope.limitNanos - counter.spentNanos - counter.reservedNanos);
        return {
          scope: scope.scope,
          scopeId: scope.scopeId,
          period: scope.period,
          limitUsd: scope.limitNanos / NANOS,
          spentUsd: counter.spentNanos / NANOS,
          reservedUsd: counter.reservedNanos / NANOS,
          remainingUsd: remaining / NANOS,
          periodStart: counter.periodStart,
          resetsAt: counter.resetsAt?.toISOString() ?? null,
        } satisfies BudgetStatus;
      })
      .sort((a, b) => a.remainingUsd - b.remainingUsd);
  }

  private counter(scope: BudgetScope): Counter {
    const key = `${scope.scope}:${scope.filter.keyId ?? scope.scopeId}:${scope.period}`;
    const now = this.clock();
    const existing = this.counters.get(key);
    if (existing && (!existing.resetsAt || now < existing.resetsAt)) return existing;
    const start = periodStart(scope.period, now);
    const since = start?.toISOString();
    const counter: Counter = {
      periodStart: since ?? null,
      resetsAt: periodEnd(scope.period, now),
      spentNanos: this.spentSince({ ...scope.filter, ...(since ? { since } : {}) }),
      // Holds of requests still in flight carry over; they settle against the new period.
      reservedNanos: existing?.reservedNanos ?? 0,
      notified: new Set(),
    };
    for (const threshold of THRESHOLDS) if (counter.spentNanos >= threshold * scope.limitNanos) counter.notified.add(threshold);
    this.counters.set(key, counter);
    return counter;
  }

  private announce(scope: BudgetScope, counter: Counter): void {
    for (const threshold of THRESHOLDS) {
      if (counter.notified.has(threshold) || counter.spentNanos < threshold * scope.limitNanos) continue;
      counter.notified.add(threshold);
      this.events.emit({
        type: 'budget.threshold',
        data: {
          scope: scope.scope,
          scopeId: scope.scopeId,
          threshold,
          limitUsd: scope.limitNanos / NANOS,
          spentUsd: counter.spentNanos / NANOS,
          period: scope.period,
          periodStart: counter.periodStart ?? '',
        },
      });
    }
  }

  private exhausted(scope: BudgetScope, counter: Counter, remainingNanos: number, neededNanos: number): GatewayError {
    const resetsAt = counter.resetsAt?.toISOString() ?? null;
    const usd = (nanos: number) => `$${(nanos / NANOS).toFixed(6).replace(/0+$/, '').replace(/\.$/, '')}`;
    const message =
      `budget exhausted for ${scope.scope} "${scope.scopeId}": ${usd(remainingNanos)} left of ${usd(scope.limitNanos)} ` +
      `(${scope.period === 'total' ? 'total budget' : `per ${scope.period}`}${resetsAt ? `, resets ${resetsAt}` : ', never resets'}); ` +
      `this request may cost up to ${usd(neededNanos)} — lower max_tokens, pick a cheaper model, or raise the budget`;
    return new GatewayError('insufficient_budget', message, {
      budget: { scope: scope.scope, scopeId: scope.scopeId, limitUsd: scope.limitNanos / NANOS, remainingUsd: remainingNanos / NANOS, resetsAt },
    });
  }
}
