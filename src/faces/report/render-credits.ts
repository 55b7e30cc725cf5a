/**
 * `GET /v1/credits` body. Vercel's two fields first (`balance`, `total_used`, USD as decimal
 * strings); the budgets behind the balance and recent spend follow, in the same string form.
 */
import type { BudgetStatus } from '../../core/types.js';
import { usdText, usdToNanos } from '../../core/usd-text.js';

export interface CreditsBudget {
  scope: BudgetStatus['scope'];
  scope_id: string;
  period: BudgetStatus['period'];
  limit: string;
  used: string;
  /** Held by requests still in flight. */
  reserved: string;
  remaining: string;
  period_start: string | null;
  resets_at: string | null;
}

export interface CreditsBody {
  /**
   * What is left in the tightest of the caller's own budgets (key, user, tag; the global one
   * only for admins and anonymous loopback use, since its figures are the whole gateway's);
   * `"Infinity"` when none applies (always a string: the AI SDK's `getCredits()` schema requires
   * one, and the text parses as a number in JS, Python and Go). A global budget still refuses
   * requests at admission when it runs out, whatever this says.
   */
  balance: string;
  /** Everything the caller has spent, all time (all requests for admins and anonymous use). */
  total_used: string;
  /** Every budget of the caller's own, tightest first (the first one gives `balance`). */
  budgets: CreditsBudget[];
  spend: { today: string; this_month: string };
}

export interface CreditsFigures {
  budgets: BudgetStatus[];
  totalUsedUsd: number;
  todayUsd: number;
  thisMonthUsd: number;
}

const money = (usd: number): string => usdText(usdToNanos(usd));

export function renderBudget(budget: BudgetStatus): CreditsBudget {
  return {
    scope: budget.scope,
    scope_id: budget.scopeId,
    period: budget.period,
    limit: money(budget.limitUsd),
    used: money(budget.spentUsd),
    reserved: money(budget.reservedUsd),
    remaining: money(Math.max(0, budget.remainingUsd)),
    period_start: budget.periodStart,
    resets_at: budget.resetsAt,
  };
}

export function renderCredits(figures: CreditsFigures): CreditsBody {
  const budgets = figures.budgets.map(renderBudget);
  return {
    balance: budgets[0]?.remaining ?? 'Infinity',
    total_used: money(figures.totalUsedUsd),
    budgets,
    spend: { today: money(figures.todayUsd), this_month: money(figures.thisMonthUsd) },
  };
}
