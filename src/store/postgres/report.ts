/**
 * Spend reports and the spend budgets start from (read from hourly rollups), and the request log,
 * as SQL run in PostgreSQL.
 * They answer exactly as the SQLite ledger does: costs summed on integer nanos, text ordered as
 * bytes (every text column is COLLATE "C"), groups with no value last among equals.
 */
import type pg from 'pg';
import { GatewayError } from '../../core/errors.js';
import type { ReportGroupField, ReportQuery, ReportRow, ReportScope } from '../../core/types.js';
import { addDays } from '../../core/utc-date.js';
import { ROLLUP_SUMS, toReportRow, withRefusals, type RawReportRow, type RefusedGroup, type ReportGrouping } from '../report-rows.js';
import type { AttemptRow, RefusalCount, RequestListQuery, RequestPage, RequestRow, RequestWithAttempts, SpendFilter } from '../types.js';
import { partialHour } from '../spend-hours.js';
import { Params, whereClause } from './sql.js';

/** The served model; a failed request never had one, so it counts under the model it asked for. */
const MODEL = 'coalesce(r.served_model, r.requested_model)';

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

/** The rows a caller may read, as conditions on `table` (`requests r` by default): their key's, their user's, or all. */
function scopeConditions(scope: ReportScope, params: Params, table = 'r'): string[] {
  if (scope.kind === 'key') return [`${table}.key_id = ${params.add(scope.keyId)}`];
  if (scope.kind === 'user') return [`${table}."user" = ${params.add(scope.user)}`];
  return [];
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
  const where = scopeConditions(scope, params, 'h');
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
  const where = scopeConditions(scope, params, 'f');
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
 * Known costs since a time: whole hours from the rollups, and the rows of the hour `since` falls
 * inside (budget periods start on the hour, so usually none) from the ledger itself.
 */
export async function postgresCostSince(db: pg.Pool, filter: SpendFilter): Promise<number> {
  const params = new Params();
  const where: string[] = [];
  if (filter.keyId) where.push(`key_id = ${params.add(filter.keyId)}`);
  if (filter.user) where.push(`"user" = ${params.add(filter.user)}`);
  if (filter.tag) where.push(`tags @> ARRAY[${params.add(filter.tag)}::text]`);
  const partial = filter.since === undefined ? undefined : partialHour(filter.since);
  const rollupWhere = partial ? [...where, `hour >= ${params.add(partial.fromHour)}`] : where;
  let sql = `SELECT coalesce(sum(cost_nanos), 0) FROM rollup_hours ${whereClause(rollupWhere)}`;
  if (partial?.until) {
    const rawWhere = [...where, 'cost_nanos IS NOT NULL', `ts >= ${params.add(filter.since)}`, `ts < ${params.add(partial.until)}`];
    sql = `(${sql}) + (SELECT coalesce(sum(cost_nanos), 0) FROM requests ${whereClause(rawWhere)})`;
  } else {
    sql = `(${sql})`;
  }
  const { rows } = await db.query<{ total: number }>(`SELECT ${sql} AS total`, params.values);
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

interface RawRequest {
  id: string;
  ts: string;
  face: RequestRow['face'];
  operation: RequestRow['operation'];
  stream: boolean;
  key_id: string | null;
  key_name: string | null;
  user: string | null;
  tags: string[] | null;
  requested_model: string;
  served_model: string | null;
  provider: string | null;
  status: RequestRow['status'];
  error_kind: RequestRow['errorKind'];
  attempts: number;
  latency_ms: number;
  ttft_ms: number | null;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cost_nanos: number | null;
  byok: boolean;
  cache_hit: boolean;
}

interface RawAttempt {
  request_id: string;
  seq: number;
  ts: string;
  model: string;
  provider: string;
  status: AttemptRow['status'];
  error_kind: AttemptRow['errorKind'];
  error_message: string | null;
  upstream_status: number | null;
  latency_ms: number;
  ttft_ms: number | null;
  input_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  output_tokens: number | null;
  reasoning_tokens: number | null;
  cost_nanos: number | null;
}

const COLUMNS = `r.id, r.ts, r.face, r.operation, r.stream, r.key_id, r.key_name, r."user", r.tags, r.requested_model,
  r.served_model, r.provider, r.status, r.error_kind, r.attempts, r.latency_ms, r.ttft_ms, r.input_tokens,
  r.cache_read_tokens, r.cache_write_tokens, r.output_tokens, r.reasoning_tokens, r.cost_nanos, r.byok, r.cache_hit`;

async function findInScope(db: pg.Pool, id: string, scope: ReportScope): Promise<RawRequest | undefined> {
  const params = new Params();
  const where = [`r.id = ${params.add(id)}`, ...scopeConditions(scope, params)];
  const { rows } = await db.query<RawRequest>(`SELECT ${COLUMNS} FROM requests r ${whereClause(where)}`, params.values);
  return rows[0];
}

export async function postgresListRequests(db: pg.Pool, query: RequestListQuery, scope: ReportScope): Promise<RequestPage> {
  const params = new Params();
  const where = scopeConditions(scope, params);
  if (query.before !== undefined) {
    // The cursor must be a row this caller can see: another caller's ids neither page nor
    // reveal that they exist.
    const cursor = await findInScope(db, query.before, scope);
    if (!cursor) throw new GatewayError('invalid_request', `before names no request you can see: "${query.before}"`, { param: 'before' });
    where.push(`(r.ts, r.id) < (${params.add(cursor.ts)}, ${params.add(cursor.id)})`);
  }
  if (query.model !== undefined) where.push(`${MODEL} = ${params.add(query.model)}`);
  if (query.apiKeyName !== undefined) where.push(`r.key_name = ${params.add(query.apiKeyName)}`);
  if (query.status !== undefined) where.push(`r.status = ${params.add(query.status)}`);
  if (query.errorKind !== undefined) where.push(`r.error_kind = ${params.add(query.errorKind)}`);
  const limit = params.add(query.limit + 1);
  const { rows } = await db.query<RawRequest>(`SELECT ${COLUMNS} FROM requests r ${whereClause(where)} ORDER BY r.ts DESC, r.id DESC LIMIT ${limit}`, params.values);
  return { requests: rows.slice(0, query.limit).map(toRequestRow), hasMore: rows.length > query.limit };
}

export async function postgresGetRequest(db: pg.Pool, id: string, scope: ReportScope): Promise<RequestWithAttempts | undefined> {
  const row = await findInScope(db, id, scope);
  if (!row) return undefined;
  const { rows } = await db.query<RawAttempt>('SELECT * FROM attempts WHERE request_id = $1 ORDER BY seq', [row.id]);
  return { request: toRequestRow(row), attempts: rows.map(toAttemptRow) };
}

function toRequestRow(row: RawRequest): RequestRow {
  return {
    id: row.id,
    ts: row.ts,
    face: row.face,
    operation: row.operation,
    stream: row.stream,
    keyId: row.key_id,
    keyName: row.key_name,
    user: row.user,
    tags: row.tags ?? [],
    requestedModel: row.requested_model,
    servedModel: row.served_model,
    provider: row.provider,
    status: row.status,
    errorKind: row.error_kind,
    attempts: row.attempts,
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    usage: {
      input: row.input_tokens,
      cacheRead: row.cache_read_tokens,
      cacheWrite: row.cache_write_tokens,
      output: row.output_tokens,
      reasoning: row.reasoning_tokens,
    },
    costNanos: row.cost_nanos,
    byok: row.byok,
    cacheHit: row.cache_hit,
  };
}

function toAttemptRow(row: RawAttempt): AttemptRow {
  return {
    requestId: row.request_id,
    seq: row.seq,
    ts: row.ts,
    model: row.model,
    provider: row.provider,
    status: row.status,
    errorKind: row.error_kind,
    errorMessage: row.error_message,
    upstreamStatus: row.upstream_status,
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    // An attempt that failed before any answer has no usage at all, not zero usage.
    usage:
      row.input_tokens === null
        ? null
        : {
            input: row.input_tokens,
            cacheRead: row.cache_read_tokens ?? 0,
            cacheWrite: row.cache_write_tokens ?? 0,
            output: row.output_tokens ?? 0,
            reasoning: row.reasoning_tokens ?? 0,
          },
    costNanos: row.cost_nanos,
  };
}
