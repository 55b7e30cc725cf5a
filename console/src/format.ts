/** How figures read in the console: USD to the digit that matters, tokens with separators, times in UTC. */

export function usd(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const amount = typeof value === 'string' ? Number(value) : value;
  if (!Number.isFinite(amount)) return value === 'Infinity' ? '∞' : String(value);
  if (amount === 0) return '$0';
  // Small amounts keep six decimals (a mock request costs a millionth of a dollar); large ones two.
  const digits = Math.abs(amount) >= 100 ? 2 : Math.abs(amount) >= 1 ? 4 : 6;
  return `$${amount.toFixed(digits).replace(/(\.\d*?[1-9])0+$/, '$1').replace(/\.0+$/, '')}`;
}

export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString('en-US');
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

/** `2026-11-01T09:30:12.345Z` → `2026-11-01 09:30:12` (UTC, as the ledger keeps it). */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function daysAgo(days: number, from = new Date()): string {
  return utcDay(new Date(from.getTime() - days * 86_400_000));
}

export function percent(part: number, whole: number): number {
  if (!(whole > 0)) return 0;
  return Math.max(0, Math.min(100, (part / whole) * 100));
}
