/**
 * Batches of ledger rows as the spool keeps them (plain JSON, one line each) and sends them to
 * PostgreSQL: several at once in one statement, each applied at most once by its id.
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

/** The statement's parameters: the batch ids, and the rows as JSON documents, one per table, each row tagged with its batch. */
function parameters(batches: LedgerBatch[]): [string[], string, string, string] {
  const requests: unknown[] = [];
  const attempts: unknown[] = [];
  const refusals: unknown[] = [];
  let n = 0;
  for (const batch of batches) {
    const b = batch.id;
    for (const [r, rowAttempts] of batch.requests) {
      n += 1;
      const u = r.usage;
      requests.push({
        b, n, id: r.id, ts: r.ts, face: r.face, operation: r.operation, stream: r.stream, key_id: r.keyId, key_name: r.keyName,
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
    }
    for (const { refusal: f, count } of batch.refusals) {
      n += 1;
      refusals.push({ b, n, minute: minuteOf(f.ts), key_id: f.keyId ?? '', key_name: f.keyName, user: f.user ?? '', kind: f.kind, count });
    }
  }
  return [batches.map((batch) => batch.id), JSON.stringify(requests), JSON.stringify(attempts), JSON.stringify(refusals)];
}

/**
 * The batches in one statement, so they commit whole or not at all. Their ids go in first: the
 * rows of a batch applied already are left out. Refusal counters of several batches are summed
 * first (one statement may update a counter once). A request id may be the client's own
 * `x-request-id`, so it can repeat (in the ledger or within the batch); a repeat is kept under a
 * suffixed id rather than lost, as the SQLite ledger keeps it.
 */
const APPLY = `WITH batch AS (
    INSERT INTO ledger_batches (id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING RETURNING id
  ),
  incoming AS (
    SELECT u.*, row_number() OVER (PARTITION BY u.id ORDER BY u.n) AS nth
    FROM jsonb_to_recordset($2::jsonb) AS u(b uuid, n int, id text, ts text, face text, operation text, stream boolean,
      key_id text, key_name text, "user" text, tags jsonb, requested_model text, served_model text, provider text,
      status text, error_kind text, attempts int, latency_ms float8, ttft_ms float8, input_tokens bigint,
      cache_read_tokens bigint, cache_write_tokens bigint, output_tokens bigint, reasoning_tokens bigint, cost_nanos bigint, byok boolean, cache_hit boolean)
    WHERE u.b IN (SELECT id FROM batch)
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
    SELECT f.minute, f.key_id, (array_agg(f.key_name ORDER BY f.n DESC))[1], f."user", f.kind, sum(f.count)
    FROM jsonb_to_recordset($4::jsonb) AS f(b uuid, n int, minute text, key_id text, key_name text, "user" text, kind text, count bigint)
    WHERE f.b IN (SELECT id FROM batch)
    GROUP BY f.minute, f.key_id, f."user", f.kind
    ON CONFLICT (minute, key_id, "user", kind) DO UPDATE SET count = refusals.count + excluded.count, key_name = excluded.key_name
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM batch) AS applied, (SELECT count(*) FROM req) AS requests,
    (SELECT count(*) FROM att) AS attempts, (SELECT count(*) FROM ref) AS refusals`;

/** Two instances inserting the same new request id at once: one fails, and finds it there when it tries again. */
const UNIQUE_VIOLATION = '23505';
const CONFLICT_RETRIES = 3;

/** Applies the batches in one transaction; how many of them had not been applied before. */
export async function applyBatches(db: pg.Pool | pg.PoolClient, batches: LedgerBatch[]): Promise<number> {
  const values = parameters(batches);
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await db.query<{ applied: string }>({ text: APPLY, values, name: 'tollgate_ledger_batches' });
      return Number(rows[0]!.applied);
    } catch (error) {
      if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION || attempt >= CONFLICT_RETRIES) throw error;
    }
  }
}
