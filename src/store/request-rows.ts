/**
 * The request log as both backends read it: requests newest first with filters and a cursor, and
 * one request with its attempts, only among the rows a caller's scope allows; and the mapping
 * between the ledger's columns and its rows. Backends differ only in their placeholders and in
 * how a list and a flag are stored, which they pass in.
 */
import { GatewayError } from '../core/errors.js';
import type { ReportScope } from '../core/types.js';
import type { KeyColumnCodec } from './key-rows.js';
import type { AttemptRow, RequestListQuery, RequestPage, RequestRow, RequestWithAttempts } from './types.js';

/** How a backend reads a list of names and a flag. */
export type RowCodec<List, Flag> = Pick<KeyColumnCodec<List, Flag>, 'readList' | 'readFlag'>;

/** Turns a value into the backend's placeholder for it, collecting the value. */
export type AddParam = (value: string | number) => string;

/** Runs one read-only statement, which `build` writes with the placeholders `add` hands out. */
export type ReadBuilt = <T>(build: (add: AddParam) => string) => Promise<T[]>;

/**
 * The served model; a failed request never had one, so it counts under the model it asked for.
 * An index on this very expression (requests_model_ts) serves filters by model.
 */
export const MODEL = 'coalesce(r.served_model, r.requested_model)';

/** The rows a caller may read, as conditions on `table` (`requests r` by default): their key's, their user's, or all. */
export function scopeConditions(scope: ReportScope, add: AddParam, table = 'r'): string[] {
  if (scope.kind === 'key') return [`${table}.key_id = ${add(scope.keyId)}`];
  if (scope.kind === 'user') return [`${table}."user" = ${add(scope.user)}`];
  return [];
}

export interface RequestLogReader {
  list(query: RequestListQuery, scope: ReportScope): Promise<RequestPage>;
  get(id: string, scope: ReportScope): Promise<RequestWithAttempts | undefined>;
}

/** A `requests` row as a backend reads it. */
interface RawRequest<List, Flag> {
  id: string;
  ts: string;
  face: RequestRow['face'];
  operation: RequestRow['operation'];
  stream: Flag;
  key_id: string | null;
  key_name: string | null;
  user: string | null;
  tags: List | null;
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
  byok: Flag;
  cache_hit: Flag;
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

const where = (conditions: string[]) => (conditions.length ? `WHERE ${conditions.join(' AND ')}` : '');

/** `read` decides where the statements run: a filter that matches few rows may scan many. */
export function requestLog<List, Flag>(read: ReadBuilt, codec: RowCodec<List, Flag>): RequestLogReader {
  type Raw = RawRequest<List, Flag>;
  const findInScope = async (id: string, scope: ReportScope): Promise<Raw | undefined> => {
    const rows = await read<Raw>((add) => `SELECT ${COLUMNS} FROM requests r ${where([`r.id = ${add(id)}`, ...scopeConditions(scope, add)])}`);
    return rows[0];
  };
  const toRequest = (row: Raw) => toRequestRow(row, codec);

  return {
    list: async (query, scope) => {
      // The cursor must be a row this caller can see: another caller's ids neither page nor
      // reveal that they exist.
      const cursor = query.before === undefined ? undefined : await findInScope(query.before, scope);
      if (query.before !== undefined && !cursor) {
        throw new GatewayError('invalid_request', `before names no request you can see: "${query.before}"`, { param: 'before' });
      }
      const rows = await read<Raw>((add) => {
        const conditions = scopeConditions(scope, add);
        if (cursor) conditions.push(`(r.ts, r.id) < (${add(cursor.ts)}, ${add(cursor.id)})`);
        if (query.model !== undefined) conditions.push(`${MODEL} = ${add(query.model)}`);
        if (query.apiKeyName !== undefined) conditions.push(`r.key_name = ${add(query.apiKeyName)}`);
        if (query.status === 'ok') {
          // Most rows, which SQLite's index of statuses leaves out: walking the ledger newest first
          // finds a page at once. Written as NOT <> so that SQLite's planner does not take 'ok' for
          // a rare value and sort the whole ledger instead.
          conditions.push(`NOT (r.status <> 'ok')`);
        } else if (query.status !== undefined) {
          // `<> 'ok'` is the condition of SQLite's (partial) index of the other statuses, which are few.
          conditions.push(`r.status = ${add(query.status)}`, `r.status <> 'ok'`);
        }
        if (query.errorKind !== undefined) conditions.push(`r.error_kind = ${add(query.errorKind)}`);
        return `SELECT ${COLUMNS} FROM requests r ${where(conditions)} ORDER BY r.ts DESC, r.id DESC LIMIT ${add(query.limit + 1)}`;
      });
      return { requests: rows.slice(0, query.limit).map(toRequest), hasMore: rows.length > query.limit };
    },
    get: async (id, scope) => {
      const row = await findInScope(id, scope);
      if (!row) return undefined;
      const attempts = await read<RawAttempt>((add) => `SELECT * FROM attempts WHERE request_id = ${add(row.id)} ORDER BY seq`);
      return { request: toRequest(row), attempts: attempts.map(toAttemptRow) };
    },
  };
}

function toRequestRow<List, Flag>(row: RawRequest<List, Flag>, codec: RowCodec<List, Flag>): RequestRow {
  return {
    id: row.id,
    ts: row.ts,
    face: row.face,
    operation: row.operation,
    stream: codec.readFlag(row.stream),
    keyId: row.key_id,
    keyName: row.key_name,
    user: row.user,
    tags: codec.readList(row.tags) ?? [],
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
    byok: codec.readFlag(row.byok),
    cacheHit: codec.readFlag(row.cache_hit),
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
