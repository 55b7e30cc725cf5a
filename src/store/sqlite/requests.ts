/**
 * The request log over the ledger: requests newest first with filters and a cursor, and one
 * request with its attempts. Reads only the rows a caller's scope allows.
 */
import { GatewayError } from '../../core/errors.js';
import type { ReportScope } from '../../core/types.js';
import type { AttemptRow, RequestListQuery, RequestPage, RequestRow, RequestWithAttempts } from '../types.js';
import { MODEL, scopeFilter, type ReadSql } from './report.js';

interface RawRequest {
  id: string;
  ts: string;
  face: RequestRow['face'];
  operation: RequestRow['operation'];
  stream: number;
  key_id: string | null;
  key_name: string | null;
  user: string | null;
  tags: string | null;
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
  byok: number;
  cache_hit: number;
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

const COLUMNS = `r.id, r.ts, r.face, r.operation, r.stream, r.key_id, r.key_name, r.user, r.tags, r.requested_model,
  r.served_model, r.provider, r.status, r.error_kind, r.attempts, r.latency_ms, r.ttft_ms, r.input_tokens,
  r.cache_read_tokens, r.cache_write_tokens, r.output_tokens, r.reasoning_tokens, r.cost_nanos, r.byok, r.cache_hit`;

export interface RequestLogReader {
  list(query: RequestListQuery, scope: ReportScope): Promise<RequestPage>;
  get(id: string, scope: ReportScope): Promise<RequestWithAttempts | undefined>;
}

/** `read` runs the statements (on the store's read workers): a filter that matches few rows may scan many. */
export function sqliteRequestLog(read: ReadSql): RequestLogReader {
  const findInScope = async (id: string, scope: ReportScope): Promise<RawRequest | undefined> => {
    const { where, params } = scopeFilter(scope);
    const sql = `SELECT ${COLUMNS} FROM requests r WHERE ${['r.id = @id', ...where].join(' AND ')}`;
    return (await read<RawRequest>(sql, { ...params, id }))[0];
  };

  return {
    list: async (query, scope) => {
      const { where, params } = scopeFilter(scope);
      if (query.before !== undefined) {
        // The cursor must be a row this caller can see: another caller's ids neither page nor
        // reveal that they exist.
        const cursor = await findInScope(query.before, scope);
        if (!cursor) throw new GatewayError('invalid_request', `before names no request you can see: "${query.before}"`, { param: 'before' });
        where.push('(r.ts, r.id) < (@beforeTs, @beforeId)');
        params.beforeTs = cursor.ts;
        params.beforeId = cursor.id;
      }
      if (query.model !== undefined) {
        where.push(`${MODEL} = @model`);
        params.model = query.model;
      }
      if (query.apiKeyName !== undefined) {
        where.push('r.key_name = @apiKeyName');
        params.apiKeyName = query.apiKeyName;
      }
      if (query.status !== undefined) {
        where.push('r.status = @status');
        params.status = query.status;
      }
      if (query.errorKind !== undefined) {
        where.push('r.error_kind = @errorKind');
        params.errorKind = query.errorKind;
      }
      params.limit = query.limit + 1;
      const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const sql = `SELECT ${COLUMNS} FROM requests r ${whereSql} ORDER BY r.ts DESC, r.id DESC LIMIT @limit`;
      const rows = await read<RawRequest>(sql, params);
      const hasMore = rows.length > query.limit;
      return { requests: rows.slice(0, query.limit).map(toRequestRow), hasMore };
    },
    get: async (id, scope) => {
      const row = await findInScope(id, scope);
      if (!row) return undefined;
      const attempts = await read<RawAttempt>('SELECT * FROM attempts WHERE request_id = @id ORDER BY seq', { id: row.id });
      return { request: toRequestRow(row), attempts: attempts.map(toAttemptRow) };
    },
  };
}

function toRequestRow(row: RawRequest): RequestRow {
  return {
    id: row.id,
    ts: row.ts,
    face: row.face,
    operation: row.operation,
    stream: row.stream === 1,
    keyId: row.key_id,
    keyName: row.key_name,
    user: row.user,
    tags: row.tags ? (JSON.parse(row.tags) as string[]) : [],
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
    byok: row.byok === 1,
    cacheHit: row.cache_hit === 1,
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
