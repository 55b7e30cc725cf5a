/**
 * One batch of ledger rows as it is sent to PostgreSQL and, while PostgreSQL is out of reach, kept
 * in the spool: plain JSON, applied in one statement.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { AttemptRow, Refusal, RequestRow } from '../types.js';

/** The refused requests of one counter (minute, key, user, kind) within a batch. */
export interface RefusalTally {
  /** The latest refusal counted (its key name is the one stored). */
  refusal: Refusal;
  count: number;
}

export interface LedgerBatch {
  /** Applied at most once, however often it is sent. */
  id: string;
  requests: Array<[RequestRow, AttemptRow[]]>;
  refusals: RefusalTally[];
}

export function newBatch(requests: Array<[RequestRow, AttemptRow[]]>, refusals: RefusalTally[]): LedgerBatch {
  return { id: randomUUID(), requests, refusals };
}

/** `YYYY-MM-DDTHH:MM`: the UTC minute refusals are counted in. */
export function minuteOf(ts: string): string {
  return ts.slice(0, 16);
}

/** The statement's parameters: the rows as JSON documents, one per table. */
function parameters(batch: LedgerBatch): [string, string, string, string] {
  const requests: unknown[] = [];
  const attempts: unknown[] = [];
  batch.requests.forEach(([r, rowAttempts], n) => {
    const u = r.usage;
    requests.push({
      n, id: r.id, ts: r.ts, face: r.face, operation: r.operation, stream: r.stream, key_id: r.keyId, key_name: r.keyName,
      user: r.user, tags: r.tags.length ? r.tags : null, requested_model: r.requestedModel, served_model: r.servedModel,
      provider: r.provider, status: r.status, error_kind: r.errorKind, attempts: r.attempts, latency_ms: r.latencyMs,
      ttft_ms: r.ttftMs, input_tokens: u.input, cache_read_tokens: u.cacheRead, cache_write_tokens: u.cacheWrite,
      output_tokens: u.output, reasoning_tokens: u.reasoning, cost_nanos: r.costNanos, byok: r.byok === true, cache_hit: r.cacheHit ?? false,
    });
    for (const a of rowAttempts) {
      const au = a.usage;
      attempts.push({
        n, seq: a.seq, ts: a.ts, model: a.model, provider: a.provider, status: a.status, error_kind: a.errorKind,
        error_message: a.errorMessage, upstream_status: a.upstreamStatus, latency_ms: a.latencyMs, ttft_ms: a.ttftMs,
        input_tokens: au?.input ?? null, cache_read_tokens: au?.cacheRead ?? null, cache_write_tokens: au?.cacheWrite ?? null,
        output_tokens: au?.output ?? null, reasoning_tokens: au?.reasoning ?? null, cost_nanos: a.costNanos,
      });
    }
  });
  const refusals = batch.refusals.map(({ refusal: f, count }) => ({
    minute: minuteOf(f.ts), key_id: f.keyId ?? '', key_name: f.keyName, user: f.user ?? '', kind: f.kind, count,
  }));
  return [batch.id, JSON.stringify(requests), JSON.stringify(attempts), JSON.stringify(refusals)];
}

/**
 * The whole batch in one statement, so it commits whole or not at all. The batch's id goes in
 * first: a batch already applied inserts nothing. A request id may be the client's own
 * `x-request-id`, so it can repeat (in the ledger or within the batch); a repeat is kept under a
 * suffixed id rather than lost, as the SQLite ledger keeps it.
 */
const APPLY = `WITH batch AS (
    INSERT INTO ledger_batches (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id
  ),
  incoming AS (
    SELECT u.*, row_number() OVER (PARTITION BY u.id ORDER BY u.n) AS nth
    FROM jsonb_to_recordset($2::jsonb) AS u(n int, id text, ts text, face text, operation text, stream boolean,
      key_id text, key_name text, "user" text, tags jsonb, requested_model text, served_model text, provider text,
      status text, error_kind text, attempts int, latency_ms float8, ttft_ms float8, input_tokens bigint,
      cache_read_tokens bigint, cache_write_tokens bigint, output_tokens bigint, reasoning_tokens bigint, cost_nanos bigint, byok boolean, cache_hit boolean)
    WHERE EXISTS (SELECT 1 FROM batch)
  ),
  planned AS MATERIALIZED (
    SELECT i.*, CASE WHEN i.nth > 1 OR EXISTS (SELECT 1 FROM requests r WHERE r.id = i.id)
      THEN i.id || '~' || gen_random_uuid()::text ELSE i.id END AS final_id
    FROM incoming i
  ),
  req AS (
    INSERT INTO requests (id, ts, face, operation, stream, key_id, key_name, "user", tags, requested_model, served_model,
      provider, status, error_kind, attempts, latency_ms, ttft_ms, input_tokens, cache_read_tokens, cache_write_tokens,
      output_tokens, reasoning_tokens, cost_nanos, byok, cache_hit)
    SELECT final_id, ts, face, operation, stream, key_id, key_name, "user",
      CASE WHEN tags IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(tags)) END,
      requested_model, served_model, provider, status, error_kind, attempts, latency_ms, ttft_ms, input_tokens,
      cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost_nanos, byok, coalesce(cache_hit, false)
    FROM planned ORDER BY n
    RETURNING 1
  ),
  att AS (
    INSERT INTO attempts (request_id, seq, ts, model, provider, status, error_kind, error_message, upstream_status,
      latency_ms, ttft_ms, input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost_nanos)
    SELECT p.final_id, a.seq, a.ts, a.model, a.provider, a.status, a.error_kind, a.error_message, a.upstream_status,
      a.latency_ms, a.ttft_ms, a.input_tokens, a.cache_read_tokens, a.cache_write_tokens, a.output_tokens,
      a.reasoning_tokens, a.cost_nanos
    FROM jsonb_to_recordset($3::jsonb) AS a(n int, seq int, ts text, model text, provider text, status text,
      error_kind text, error_message text, upstream_status int, latency_ms float8, ttft_ms float8, input_tokens bigint,
      cache_read_tokens bigint, cache_write_tokens bigint, output_tokens bigint, reasoning_tokens bigint, cost_nanos bigint)
    JOIN planned p ON p.n = a.n
    RETURNING 1
  ),
  ref AS (
    INSERT INTO refusals (minute, key_id, key_name, "user", kind, count)
    SELECT f.minute, f.key_id, f.key_name, f."user", f.kind, f.count
    FROM jsonb_to_recordset($4::jsonb) AS f(minute text, key_id text, key_name text, "user" text, kind text, count bigint)
    WHERE EXISTS (SELECT 1 FROM batch)
    ON CONFLICT (minute, key_id, "user", kind) DO UPDATE SET count = refusals.count + excluded.count, key_name = excluded.key_name
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM batch) AS applied, (SELECT count(*) FROM req) AS requests,
    (SELECT count(*) FROM att) AS attempts, (SELECT count(*) FROM ref) AS refusals`;

/** Two instances inserting the same new request id at once: one fails, and finds it there when it tries again. */
const UNIQUE_VIOLATION = '23505';
const CONFLICT_RETRIES = 3;

/** Applies the batch; false when it had been applied already. */
export async function applyBatch(db: pg.Pool | pg.PoolClient, batch: LedgerBatch): Promise<boolean> {
  const values = parameters(batch);
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await db.query<{ applied: number }>({ text: APPLY, values, name: 'tollgate_ledger_batch' });
      return rows[0]!.applied === 1;
    } catch (error) {
      if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION || attempt >= CONFLICT_RETRIES) throw error;
    }
  }
}
