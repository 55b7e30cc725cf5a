/** Spend since a time, from hourly rollups: which hours they cover, and which rows they leave to the ledger. */

const HOUR_MS = 3_600_000;

/**
 * The first whole hour at or after `since` (`YYYY-MM-DDTHH`, as rollups name hours), and, when
 * `since` falls inside an hour, where the rows that hour leaves to the ledger end (ISO 8601).
 */
export function partialHour(since: string): { fromHour: string; until?: string } {
  const at = Date.parse(since);
  if (Number.isNaN(at)) throw new Error(`not a time: "${since}"`);
  const hourStart = Math.floor(at / HOUR_MS) * HOUR_MS;
  if (at === hourStart) return { fromHour: new Date(hourStart).toISOString().slice(0, 13) };
  const next = new Date(hourStart + HOUR_MS).toISOString();
  return { fromHour: next.slice(0, 13), until: next };
}
