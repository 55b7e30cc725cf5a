import type { BudgetPeriod } from '../store/types.js';

/** UTC start of the period that contains `now`; null for `total` (no period). */
export function periodStart(period: BudgetPeriod, now: Date): Date | null {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const day = now.getUTCDate();
  switch (period) {
    case 'day':
      return new Date(Date.UTC(year, month, day));
    case 'week': {
      // ISO weeks start on Monday.
      const sinceMonday = (now.getUTCDay() + 6) % 7;
      return new Date(Date.UTC(year, month, day - sinceMonday));
    }
    case 'month':
      return new Date(Date.UTC(year, month, 1));
    case 'total':
      return null;
  }
}

/** When the period that contains `now` ends; null for `total`. */
export function periodEnd(period: BudgetPeriod, now: Date): Date | null {
  const start = periodStart(period, now);
  if (!start) return null;
  switch (period) {
    case 'day':
      return new Date(start.getTime() + 86_400_000);
    case 'week':
      return new Date(start.getTime() + 7 * 86_400_000);
    case 'month':
      return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    default:
      return null;
  }
}
