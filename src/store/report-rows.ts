/**
 * The spend report's rows as every backend shapes them: raw sums from SQL into Vercel's field
 * names, and refusal counters merged in.
 */
import type { ReportGroupField, ReportRow } from '../core/types.js';

const NANOS_PER_USD = 1e9;

/** One group's sums as the report's SQL returns them. */
export interface RawReportRow {
  grp?: string | null;
  request_count: number;
  cost_nanos: number;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_creation_input_tokens: number;
  reasoning_tokens: number;
  unpriced_request_count: number;
}

/** The sums of a report over rollup rows aliased `h`, in SQL both backends speak, named as `RawReportRow`. */
export const ROLLUP_SUMS = `coalesce(sum(h.request_count), 0) AS request_count,
  coalesce(sum(h.cost_nanos), 0) AS cost_nanos,
  coalesce(sum(h.input_tokens), 0) AS input_tokens,
  coalesce(sum(h.output_tokens), 0) AS output_tokens,
  coalesce(sum(h.cache_read_tokens), 0) AS cached_input_tokens,
  coalesce(sum(h.cache_write_tokens), 0) AS cache_creation_input_tokens,
  coalesce(sum(h.reasoning_tokens), 0) AS reasoning_tokens,
  coalesce(sum(h.unpriced_request_count), 0) AS unpriced_request_count`;

export interface ReportGrouping {
  field: ReportGroupField;
  /** Time buckets read best in time order; other groups most expensive first. */
  chronological: boolean;
}

/** Refused requests of one group (null: no grouping, or the group with no value). */
export interface RefusedGroup {
  grp?: string | null;
  refused: number | null;
}

export function toReportRow(row: RawReportRow, field: ReportGroupField | undefined): ReportRow {
  const totalCost = row.cost_nanos / NANOS_PER_USD;
  const metrics = {
    total_cost: totalCost,
    market_cost: totalCost,
    input_tokens: row.input_tokens,
    output_tokens: row.output_tokens,
    cached_input_tokens: row.cached_input_tokens,
    cache_creation_input_tokens: row.cache_creation_input_tokens,
    reasoning_tokens: row.reasoning_tokens,
    request_count: row.request_count,
    unpriced_request_count: row.unpriced_request_count,
  };
  // No value (no user, no tag, …): the grouping field is left out rather than sent as null,
  // which clients reading Vercel's schema (a string when present) would reject.
  return field && row.grp != null ? { [field]: row.grp, ...metrics } : metrics;
}

/**
 * Adds `refused_count` to every row, and a row of its own for each group that only has
 * refusals, in the report's order: time buckets by time, other groups by cost and count.
 */
export function withRefusals(rows: ReportRow[], refused: RefusedGroup[], grouping: ReportGrouping | undefined): ReportRow[] {
  const field = grouping?.field;
  const groupOf = (row: ReportRow): string | null => (field ? (row[field] ?? null) : null);
  const counts = new Map<string | null, number>();
  for (const entry of refused) if (entry.refused) counts.set(entry.grp ?? null, entry.refused);
  const merged = rows.map((row) => ({ ...row, refused_count: counts.get(groupOf(row)) ?? 0 }));
  const present = new Set(merged.map(groupOf));
  for (const [group, count] of counts) {
    if (present.has(group)) continue;
    merged.push({ ...toReportRow(emptyRawRow(group), field), refused_count: count });
  }
  if (merged.length === rows.length) return merged;
  // The order SQL gave the others (binary string order).
  const byText = (a: string | null, b: string | null) => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);
  return merged.sort((a, b) => {
    const ga = groupOf(a);
    const gb = groupOf(b);
    if (grouping?.chronological) return byText(ga, gb);
    return b.total_cost - a.total_cost || b.request_count - a.request_count || Number(ga === null) - Number(gb === null) || byText(ga, gb);
  });
}

function emptyRawRow(group: string | null): RawReportRow {
  return {
    grp: group,
    request_count: 0,
    cost_nanos: 0,
    input_tokens: 0,
    output_tokens: 0,
    cached_input_tokens: 0,
    cache_creation_input_tokens: 0,
    reasoning_tokens: 0,
    unpriced_request_count: 0,
  };
}
