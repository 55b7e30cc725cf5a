/**
 * Spend since a time, from the rollups: which rows of the ledger, which hours and which days
 * cover it. Whole days are read from the daily rollups (24 times fewer rows); only the day
 * `since` falls inside is read by the hour, and the hour it falls inside from the rows.
 */
import { addDays } from '../core/utc-date.js';

const HOUR_MS = 3_600_000;

export interface SpendPeriod {
  /** When `since` falls inside an hour: the end of that hour (ISO 8601), up to which the rows are read. */
  rowsUntil?: string;
  /** The first whole hour (`YYYY-MM-DDTHH`, as rollups name hours). */
  fromHour: string;
  /** The first whole day (`YYYY-MM-DD`): the hours from `fromHour` up to it are read by the hour. */
  fromDay: string;
}

export function spendPeriod(since: string): SpendPeriod {
  const at = Date.parse(since);
  if (Number.isNaN(at)) throw new Error(`not a time: "${since}"`);
  const hourStart = Math.floor(at / HOUR_MS) * HOUR_MS;
  const rowsUntil = at === hourStart ? undefined : new Date(hourStart + HOUR_MS).toISOString();
  const fromHour = (rowsUntil ?? new Date(hourStart).toISOString()).slice(0, 13);
  const fromDay = fromHour.endsWith('T00') ? fromHour.slice(0, 10) : addDays(fromHour.slice(0, 10), 1);
  return { ...(rowsUntil ? { rowsUntil } : {}), fromHour, fromDay };
}

/** Whether the period has hours to read by the hour (`fromHour` is not the start of `fromDay`). */
export function hasPartialDay(period: SpendPeriod): boolean {
  return period.fromHour < period.fromDay;
}
