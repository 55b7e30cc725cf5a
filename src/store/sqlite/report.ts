/**
 * Spend reports over the `requests` ledger, as Vercel AI Gateway's `GET /v1/report` shapes them.
 * Costs are summed in SQL on integer nanos (exact) and divided into USD once, per row. Refused
 * requests live as counters in `refusals` (per minute, key, user and kind); they join the rows as
 * `refused_count` where the report's grouping and filters are ones those counters have.
 */
import type Database from 'better-sqlite3';
import type { ReportGroupField, ReportQuery, ReportRow, ReportScope } from '../../core/types.js';
import { addDays } from '../../core/utc-date.js';

const NANOS_PER_USD = 1e9;

/**
 * The served model; a failed request never had one, so it counts under the model it asked for.
 * An index on this very expression (requests_model_ts) serves filters by model.
 */
export const MODEL = 'coalesce(r.served_model, r.requested_model)';

interface Grouping {
  field: ReportGroupField;
  expression: string;
  /** Time buckets read best in time order; other groups most expensive first. */
  chronological: boolean;
}

function groupingOf(query: ReportQuery): Grouping | undefined {
  switch (query.groupBy) {
    case undefined:
      return undefined;
    case 'day':
      // `ts` is ISO 8601 UTC: its first 10 characters are the day, its first 13 the hour (`YYYY-MM-DDTHH`).
      return query.datePart === 'hour'
        ? { field: 'hour', expression: 'substr(r.ts, 1, 13)', chronological: true }
        : { field: 'day', expression: 'substr(r.ts, 1, 10)', chronological: true };
    case 'user':
      return { field: 'user', expression: 'r.user', chronological: false };
    case 'model':
      return { field: 'model', expression: MODEL, chronological: false };
    case 'provider':
      return { field: 'provider', expression: 'r.provider', chronological: false };
    case 'api_key_name':
      return { field: 'api_key_name', expression: 'r.key_name', chronological: false };
    case 'tag':
      // One row per tag a request carries; a request without tags lands in the row with no tag.
      return { field: 'tag', expression: 't.value', chronological: false };
  }
}

export interface Filter {
  where: string[];
  params: Record<string, string | number>;
}

/** The rows a caller may read, as a condition on `requests r`: their key's, their user's, or all. */
export function scopeFilter(scope: ReportScope): Filter {
  if (scope.kind === 'key') return { where: ['r.key_id = @scopeKeyId'], params: { scopeKeyId: scope.keyId } };
  if (scope.kind === 'user') return { where: ['r.user = @scopeUser'], params: { scopeUser: scope.user } };
  return { where: [], params: {} };
}

function filterOf(query: ReportQuery, scope: ReportScope): Filter {
  const { where, params } = scopeFilter(scope);
  if (query.startDate) {
    where.push('r.ts >= @startDate');
    params.startDate = query.startDate;
  }
  if (query.endDate) {
    where.push('r.ts < @endBefore');
    params.endBefore = addDays(query.endDate, 1);
  }
  if (query.userId !== undefined) {
    where.push('r.user = @userId');
    params.userId = query.userId;
  }
  if (query.model !== undefined) {
    where.push(`${MODEL} = @model`);
    params.model = query.model;
  }
  if (query.provider !== undefined) {
    where.push('r.provider = @provider');
    params.provider = query.provider;
  }
  if (query.apiKeyName !== undefined) {
    where.push('r.key_name = @apiKeyName');
    params.apiKeyName = query.apiKeyName;
  }
  const tags = [...new Set(query.tags ?? [])];
  if (tags.length) {
    const names = tags.map((tag, index) => {
      params[`tag${index}`] = tag;
      return `@tag${index}`;
    });
    const listed = `FROM json_each(r.tags) WHERE value IN (${names.join(', ')})`;
    if (query.tagsMatch === 'all') {
      where.push(`(SELECT count(DISTINCT value) ${listed}) = @tagCount`);
      params.tagCount = tags.length;
    } else {
      where.push(`EXISTS (SELECT 1 ${listed})`);
    }
  }
  return { where, params };
}

const METRICS = `count(*) AS request_count,
  coalesce(sum(r.cost_nanos), 0) AS cost_nanos,
  coalesce(sum(r.input_tokens), 0) AS input_tokens,
  coalesce(sum(r.output_tokens), 0) AS output_tokens,
  coalesce(sum(r.cache_read_tokens), 0) AS cached_input_tokens,
  coalesce(sum(r.cache_write_tokens), 0) AS cache_creation_input_tokens,
  coalesce(sum(r.reasoning_tokens), 0) AS reasoning_tokens,
  coalesce(sum(CASE WHEN r.cost_nanos IS NULL AND r.served_model IS NOT NULL THEN 1 ELSE 0 END), 0) AS unpriced_request_count`;

interface RawRow {
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

export type ReportReader = (query: ReportQuery, scope: ReportScope) => ReportRow[];

/** Refusal counters keep the minute, key and user only: the groupings they can answer. */
function refusalGroupingOf(query: ReportQuery): string | null | undefined {
  switch (query.groupBy) {
    case undefined:
      return null;
    case 'day':
      return query.datePart === 'hour' ? 'substr(f.minute, 1, 13)' : 'substr(f.minute, 1, 10)';
    case 'user':
      return "nullif(f.user, '')";
    case 'api_key_name':
      return 'f.key_name';
    default:
      return undefined;
  }
}

/** The refusals matching a query, or undefined when it filters on what refusals do not record. */
function refusalFilterOf(query: ReportQuery, scope: ReportScope): Filter | undefined {
  if (query.model !== undefined || query.provider !== undefined || query.tags?.length) return undefined;
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  if (scope.kind === 'key') {
    where.push('f.key_id = @scopeKeyId');
    params.scopeKeyId = scope.keyId;
  } else if (scope.kind === 'user') {
    where.push('f.user = @scopeUser');
    params.scopeUser = scope.user;
  }
  if (query.startDate) {
    where.push('f.minute >= @startDate');
    params.startDate = query.startDate;
  }
  if (query.endDate) {
    where.push('f.minute < @endBefore');
    params.endBefore = addDays(query.endDate, 1);
  }
  if (query.userId !== undefined) {
    where.push('f.user = @userId');
    params.userId = query.userId;
  }
  if (query.apiKeyName !== undefined) {
    where.push('f.key_name = @apiKeyName');
    params.apiKeyName = query.apiKeyName;
  }
  return { where, params };
}

/** Builds the report reader for one database; statements are prepared per query shape and kept. */
export function sqliteReport(db: Database.Database): ReportReader {
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  return (query, scope) => {
    const grouping = groupingOf(query);
    const { where, params } = filterOf(query, scope);
    const join = grouping?.field === 'tag' ? 'LEFT JOIN json_each(r.tags) t' : '';
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    let sql: string;
    if (!grouping) {
      sql = `SELECT ${METRICS} FROM requests r ${whereSql}`;
    } else {
      const order = grouping.chronological ? 'grp' : 'cost_nanos DESC, request_count DESC, grp IS NULL, grp';
      sql = `SELECT ${grouping.expression} AS grp, ${METRICS} FROM requests r ${join} ${whereSql} GROUP BY grp ORDER BY ${order}`;
    }
    const rows = (prepare(sql).all(params) as RawRow[]).map((row) => toReportRow(row, grouping?.field));
    const refusalGrouping = refusalGroupingOf(query);
    const refusalFilter = refusalFilterOf(query, scope);
    if (refusalGrouping === undefined || refusalFilter === undefined) return rows;
    const refusalWhere = refusalFilter.where.length ? `WHERE ${refusalFilter.where.join(' AND ')}` : '';
    const refusalSql = refusalGrouping
      ? `SELECT ${refusalGrouping} AS grp, sum(f.count) AS refused FROM refusals f ${refusalWhere} GROUP BY grp`
      : `SELECT sum(f.count) AS refused FROM refusals f ${refusalWhere}`;
    const refused = prepare(refusalSql).all(refusalFilter.params) as Array<{ grp?: string | null; refused: number | null }>;
    return withRefusals(rows, refused, grouping);
  };
}

/**
 * Adds `refused_count` to every row, and a row of its own for each group that only has
 * refusals, in the report's order: time buckets by time, other groups by cost and count.
 */
function withRefusals(rows: ReportRow[], refused: Array<{ grp?: string | null; refused: number | null }>, grouping: Grouping | undefined): ReportRow[] {
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
  // The order SQL gave the others (binary string order, as SQLite compares).
  const byText = (a: string | null, b: string | null) => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);
  return merged.sort((a, b) => {
    const ga = groupOf(a);
    const gb = groupOf(b);
    if (grouping?.chronological) return byText(ga, gb);
    return b.total_cost - a.total_cost || b.request_count - a.request_count || Number(ga === null) - Number(gb === null) || byText(ga, gb);
  });
}

function emptyRawRow(group: string | null): RawRow {
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

function toReportRow(row: RawRow, field: ReportGroupField | undefined): ReportRow {
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
