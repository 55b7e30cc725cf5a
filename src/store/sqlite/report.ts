/**
 * Spend reports as Vercel AI Gateway's `GET /v1/report` shapes them, and the spend budgets start
 * from, read from the daily and hourly rollups (`rollup_days`, `rollup_hours`) rather than the request rows. Costs are
 * summed in SQL on integer nanos (exact) and divided into USD once, per row. Refused requests
 * live as counters in `refusals` (per minute, key, user and kind); they join the rows as
 * `refused_count` where the report's grouping and filters are ones those counters have.
 */
import type { ReportGroupField, ReportQuery, ReportRow, ReportScope } from '../../core/types.js';
import { addDays } from '../../core/utc-date.js';
import { ROLLUP_SUMS, toReportRow, withRefusals, type RawReportRow, type RefusedGroup, type ReportGrouping } from '../report-rows.js';
import { hasPartialDay, spendPeriod } from '../spend-hours.js';
import type { SpendFilter } from '../types.js';

/** Runs one read-only statement with named parameters; where it runs is the caller's choice. */
export type ReadSql = <T>(sql: string, params: Record<string, string | number>) => Promise<T[]>;

interface Grouping extends ReportGrouping {
  expression: string;
}

function groupingOf(query: ReportQuery): Grouping | undefined {
  switch (query.groupBy) {
    case undefined:
      return undefined;
    case 'day':
      return query.datePart === 'hour'
        ? { field: 'hour', expression: 'h.hour', chronological: true }
        : { field: 'day', expression: 'h.day', chronological: true };
    case 'user':
      return { field: 'user', expression: 'h.user', chronological: false };
    case 'model':
      return { field: 'model', expression: 'h.model', chronological: false };
    case 'provider':
      return { field: 'provider', expression: 'h.provider', chronological: false };
    case 'api_key_name':
      return { field: 'api_key_name', expression: 'h.key_name', chronological: false };
    case 'tag':
      // One row per tag a request carries; a request without tags lands in the row with no tag.
      return { field: 'tag', expression: 't.value', chronological: false };
  }
}

export interface Filter {
  where: string[];
  params: Record<string, string | number>;
}

/** The rows a caller may read, as a condition on `table` (`requests r` by default): their key's, their user's, or all. */
export function scopeFilter(scope: ReportScope, table = 'r'): Filter {
  if (scope.kind === 'key') return { where: [`${table}.key_id = @scopeKeyId`], params: { scopeKeyId: scope.keyId } };
  if (scope.kind === 'user') return { where: [`${table}.user = @scopeUser`], params: { scopeUser: scope.user } };
  return { where: [], params: {} };
}

/**
 * Reports by hour read the hourly rollups (`hour` is `YYYY-MM-DDTHH`, which sorts after its day
 * and before the next); every other report covers whole UTC days and reads the daily ones.
 */
function periodOf(query: ReportQuery): { table: string; column: string } {
  return query.groupBy === 'day' && query.datePart === 'hour' ? { table: 'rollup_hours', column: 'hour' } : { table: 'rollup_days', column: 'day' };
}

function filterOf(query: ReportQuery, scope: ReportScope): Filter {
  const { column } = periodOf(query);
  const { where, params } = scopeFilter(scope, 'h');
  if (query.startDate) {
    where.push(`h.${column} >= @startDate`);
    params.startDate = query.startDate;
  }
  if (query.endDate) {
    where.push(`h.${column} < @endBefore`);
    params.endBefore = addDays(query.endDate, 1);
  }
  if (query.userId !== undefined) {
    where.push('h.user = @userId');
    params.userId = query.userId;
  }
  if (query.model !== undefined) {
    where.push('h.model = @model');
    params.model = query.model;
  }
  if (query.provider !== undefined) {
    where.push('h.provider = @provider');
    params.provider = query.provider;
  }
  if (query.apiKeyName !== undefined) {
    where.push('h.key_name = @apiKeyName');
    params.apiKeyName = query.apiKeyName;
  }
  const tags = [...new Set(query.tags ?? [])];
  if (tags.length) {
    const names = tags.map((tag, index) => {
      params[`tag${index}`] = tag;
      return `@tag${index}`;
    });
    const listed = `FROM json_each(h.tags) WHERE value IN (${names.join(', ')})`;
    if (query.tagsMatch === 'all') {
      where.push(`(SELECT count(DISTINCT value) ${listed}) = @tagCount`);
      params.tagCount = tags.length;
    } else {
      where.push(`EXISTS (SELECT 1 ${listed})`);
    }
  }
  return { where, params };
}

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
  const { where, params } = scopeFilter(scope, 'f');
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

const whereSql = (where: string[]) => (where.length ? `WHERE ${where.join(' AND ')}` : '');

export async function sqliteReport(read: ReadSql, query: ReportQuery, scope: ReportScope): Promise<ReportRow[]> {
  const grouping = groupingOf(query);
  const { table } = periodOf(query);
  const { where, params } = filterOf(query, scope);
  let sql: string;
  if (!grouping) {
    sql = `SELECT ${ROLLUP_SUMS} FROM ${table} h ${whereSql(where)}`;
  } else {
    const join = grouping.field === 'tag' ? 'LEFT JOIN json_each(h.tags) t' : '';
    const order = grouping.chronological ? 'grp' : 'cost_nanos DESC, request_count DESC, grp IS NULL, grp';
    sql = `SELECT ${grouping.expression} AS grp, ${ROLLUP_SUMS} FROM ${table} h ${join} ${whereSql(where)} GROUP BY grp ORDER BY ${order}`;
  }
  const refusalGrouping = refusalGroupingOf(query);
  const refusalFilter = refusalFilterOf(query, scope);
  const [raw, refused] = await Promise.all([
    read<RawReportRow>(sql, params),
    refusalGrouping === undefined || refusalFilter === undefined
      ? undefined
      : read<RefusedGroup>(
          refusalGrouping
            ? `SELECT ${refusalGrouping} AS grp, sum(f.count) AS refused FROM refusals f ${whereSql(refusalFilter.where)} GROUP BY grp`
            : `SELECT sum(f.count) AS refused FROM refusals f ${whereSql(refusalFilter.where)}`,
          refusalFilter.params,
        ),
  ]);
  const rows = raw.map((row) => toReportRow(row, grouping?.field as ReportGroupField | undefined));
  return refused ? withRefusals(rows, refused, grouping) : rows;
}

/**
 * Known costs since a time: whole days from the daily rollups, the rest of the day `since` falls
 * inside from the hourly ones, and the rows of the hour it falls inside (budget periods start on
 * the hour, so usually none) from the ledger itself.
 */
export async function sqliteCostSince(read: ReadSql, filter: SpendFilter): Promise<number> {
  const where: string[] = [];
  const params: Record<string, string> = {};
  if (filter.keyId) {
    where.push('key_id = @keyId');
    params.keyId = filter.keyId;
  }
  if (filter.user) {
    where.push('user = @user');
    params.user = filter.user;
  }
  if (filter.tag) {
    where.push('EXISTS (SELECT 1 FROM json_each(tags) WHERE value = @tag)');
    params.tag = filter.tag;
  }
  const sum = (table: string, period: string[], periodParams: Record<string, string>) =>
    read<{ total: number }>(`SELECT coalesce(sum(cost_nanos), 0) AS total FROM ${table} ${whereSql([...where, ...period])}`, { ...params, ...periodParams });
  const period = filter.since === undefined ? undefined : spendPeriod(filter.since);
  const sums = [period ? sum('rollup_days', ['day >= @fromDay'], { fromDay: period.fromDay }) : sum('rollup_days', [], {})];
  if (period && hasPartialDay(period)) sums.push(sum('rollup_hours', ['hour >= @fromHour', 'hour < @fromDay'], { fromHour: period.fromHour, fromDay: period.fromDay }));
  if (period?.rowsUntil) sums.push(sum('requests', ['cost_nanos IS NOT NULL', 'ts >= @since', 'ts < @until'], { since: filter.since!, until: period.rowsUntil }));
  const totals = await Promise.all(sums);
  return totals.reduce((total, [row]) => total + row!.total, 0);
}
