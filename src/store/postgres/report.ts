/**
 * Spend reports and the spend budgets start from (read from hourly rollups), and the request log,
 * as SQL run in PostgreSQL.
 * They answer exactly as the SQLite ledger does: costs summed on integer nanos, text ordered as
 * bytes (every text column is COLLATE "C"), groups with no value last among equals.
 */
import type pg from 'pg';
import type { ReportGroupField, ReportQuery, ReportRow, ReportScope } from '../../core/types.js';
import { addDays } from '../../core/utc-date.js';
import { ROLLUP_SUMS, toReportRow, withRefusals, type RawReportRow, type RefusedGroup, type ReportGrouping } from '../report-rows.js';
import { requestLog, scopeConditions, type RequestLogReader } from '../request-rows.js';
import type { RefusalCount, SpendFilter } from '../types.js';
import { hasPartialDay, spendPeriod } from '../spend-hours.js';
import { COLUMN_CODEC } from './keys.js';
import { Params, whereClause } from './sql.js';

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
      return { field: 'user', expression: 'h."user"', chronological: false };
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

/**
 * Reports by hour read the hourly rollups (`hour` is `YYYY-MM-DDTHH`, which sorts after its day
 * and before the next); every other report covers whole UTC days and reads the daily ones.
 */
function periodOf(query: ReportQuery): { table: string; column: string } {
  return query.groupBy === 'day' && query.datePart === 'hour' ? { table: 'rollup_hours', column: 'hour' } : { table: 'rollup_days', column: 'day' };
}

function filterOf(query: ReportQuery, scope: ReportScope, params: Params): string[] {
  const { column } = periodOf(query);
  const where = scopeConditions(scope, params.add, 'h');
  if (query.startDate) where.push(`h.${column} >= ${params.add(query.startDate)}`);
  if (query.endDate) where.push(`h.${column} < ${params.add(addDays(query.endDate, 1))}`);
  if (query.userId !== undefined) where.push(`h."user" = ${params.add(query.userId)}`);
  if (query.model !== undefined) where.push(`h.model = ${params.add(query.model)}`);
  if (query.provider !== undefined) where.push(`h.provider = ${params.add(query.provider)}`);
  if (query.apiKeyName !== undefined) where.push(`h.key_name = ${params.add(query.apiKeyName)}`);
  const tags = [...new Set(query.tags ?? [])];
  if (tags.length) where.push(`h.tags ${query.tagsMatch === 'all' ? '@>' : '&&'} ${params.add(tags)}::text[]`);
  return where;
}

/** Refusal counters keep the minute, key and user only: the groupings they can answer. */
function refusalGroupingOf(query: ReportQuery): string | null | undefined {
  switch (query.groupBy) {
    case undefined:
      return null;
    case 'day':
      return query.datePart === 'hour' ? 'substr(f.minute, 1, 13)' : 'substr(f.minute, 1, 10)';
    case 'user':
      return `nullif(f."user", '')`;
    case 'api_key_name':
      return 'f.key_name';
    default:
      return undefined;
  }
}

/** The refusals matching a query, or undefined when it filters on what refusals do not record. */
function refusalFilterOf(query: ReportQuery, scope: ReportScope, params: Params): string[] | undefined {
  if (query.model !== undefined || query.provider !== undefined || query.tags?.length) return undefined;
  const where = scopeConditions(scope, params.add, 'f');
  if (query.startDate) where.push(`f.minute >= ${params.add(query.startDate)}`);
  if (query.endDate) where.push(`f.minute < ${params.add(addDays(query.endDate, 1))}`);
  if (query.userId !== undefined) where.push(`f."user" = ${params.add(query.userId)}`);
  if (query.apiKeyName !== undefined) where.push(`f.key_name = ${params.add(query.apiKeyName)}`);
  return where;
}

/** The report from the rollups, its refusal counts read alongside on another connection of the pool. */
export async function postgresReport(db: pg.Pool, query: ReportQuery, scope: ReportScope): Promise<ReportRow[]> {
  const grouping = groupingOf(query);
  const { table } = periodOf(query);
  const params = new Params();
  const where = whereClause(filterOf(query, scope, params));
  let sql: string;
  if (!grouping) {
    sql = `SELECT ${ROLLUP_SUMS} FROM ${table} h ${where}`;
  } else {
    const join = grouping.field === 'tag' ? 'LEFT JOIN LATERAL unnest(h.tags) AS t(value) ON true' : '';
    const order = grouping.chronological
      ? 'grp COLLATE "C" NULLS FIRST'
      : 'cost_nanos DESC, request_count DESC, grp IS NULL, grp COLLATE "C"';
    sql = `SELECT * FROM (SELECT ${grouping.expression} AS grp, ${ROLLUP_SUMS} FROM ${table} h ${join} ${where} GROUP BY 1) g ORDER BY ${order}`;
  }
  const refusalGrouping = refusalGroupingOf(query);
  const refusalParams = new Params();
  const refusalFilter = refusalFilterOf(query, scope, refusalParams);
  const refusalWhere = refusalFilter && whereClause(refusalFilter);
  const [{ rows: raw }, refused] = await Promise.all([
    db.query<RawReportRow>(sql, params.values),
    refusalGrouping === undefined || refusalWhere === undefined
      ? undefined
      : db.query<RefusedGroup>(
          refusalGrouping
            ? `SELECT ${refusalGrouping} AS grp, sum(f.count) AS refused FROM refusals f ${refusalWhere} GROUP BY 1`
            : `SELECT sum(f.count) AS refused FROM refusals f ${refusalWhere}`,
          refusalParams.values,
        ),
  ]);
  const rows = raw.map((row) => toReportRow(row, grouping?.field as ReportGroupField | undefined));
  return refused ? withRefusals(rows, refused.rows, grouping) : rows;
}

/**
 * Known costs since a time: whole days from the daily rollups, the rest of the day `since` falls
 * inside from the hourly ones, and the rows of the hour it falls inside (budget periods start on
 * the hour, so usually none) from the ledger itself.
 */
export async function postgresCostSince(db: pg.Pool, filter: SpendFilter): Promise<number> {
  const params = new Params();
  const where: string[] = [];
  if (filter.keyId) where.push(`key_id = ${params.add(filter.keyId)}`);
  if (filter.user) where.push(`"user" = ${params.add(filter.user)}`);
  if (filter.tag) where.push(`tags @> ARRAY[${params.add(filter.tag)}::text]`);
  const sum = (table: string, period: string[]) => `(SELECT coalesce(sum(cost_nanos), 0) FROM ${table} ${whereClause([...where, ...period])})`;
  const period = filter.since === undefined ? undefined : spendPeriod(filter.since);
  const fromDay = period && params.add(period.fromDay);
  const sums = [sum('rollup_days', fromDay ? [`day >= ${fromDay}`] : [])];
  if (period && hasPartialDay(period)) sums.push(sum('rollup_hours', [`hour >= ${params.add(period.fromHour)}`, `hour < ${fromDay}`]));
  if (period?.rowsUntil) sums.push(sum('requests', ['cost_nanos IS NOT NULL', `ts >= ${params.add(filter.since)}`, `ts < ${params.add(period.rowsUntil)}`]));
  const { rows } = await db.query<{ total: number }>(`SELECT ${sums.join(' + ')} AS total`, params.values);
  return rows[0]!.total;
}

export async function postgresRefusals(db: pg.Pool): Promise<RefusalCount[]> {
  const { rows } = await db.query<{ minute: string; key_id: string; key_name: string | null; user: string; kind: RefusalCount['kind']; count: number }>(
    'SELECT minute, key_id, key_name, "user", kind, count FROM refusals ORDER BY minute, key_id, "user", kind',
  );
  return rows.map((row) => ({
    minute: row.minute,
    keyId: row.key_id === '' ? null : row.key_id,
    keyName: row.key_name,
    user: row.user === '' ? null : row.user,
    kind: row.kind,
    count: row.count,
  }));
}

/** The request log, its statements run on the pool. */
export function postgresRequestLog(db: pg.Pool): RequestLogReader {
  return requestLog(async (build) => {
    const params = new Params();
    const sql = build(params.add);
    return (await db.query(sql, params.values)).rows;
  }, COLUMN_CODEC);
}
