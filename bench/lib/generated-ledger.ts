/**
 * A large ledger made in the database itself (SQLite or PostgreSQL), in one statement: 30 days of requests at under one
 * a second, from 20 keys (each with its user and tags, using 3 of 6 models), with failed
 * requests and ones of unknown price among them. The rows go in without the ledger's indexes and
 * the rollup trigger (kept up row by row, they would take minutes); the indexes are then built
 * and the rollups summed from the rows in one go, as the migration that added them does.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { REFILL_ROLLUPS as REFILL_POSTGRES_ROLLUPS } from '../../src/store/postgres/migrations.js';
import { REFILL_ROLLUPS } from '../../src/store/sqlite/schema.js';

export const GENERATED_DAYS = 30;
/** The first day of the generated ledger (UTC). */
export const GENERATED_START = '2026-10-01';
const KEYS = 20;

/** Fills a SQLite ledger (already created by the store) with `rows` generated requests. */
export function generateSqliteLedger(file: string, rows: number): void {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    // Every index of the ledger takes 2M entries: keep their pages in memory rather than rereading them.
    db.pragma('cache_size = -400000');
    const start = Date.parse(`${GENERATED_START}T00:00:00Z`) / 1000;
    const step = (GENERATED_DAYS * 86_400) / rows;
    db.transaction(() => {
    const deferred = db
      .prepare("SELECT name, type, sql FROM sqlite_master WHERE tbl_name = 'requests' AND type IN ('index', 'trigger') AND sql IS NOT NULL")
      .all() as Array<{ name: string; type: string; sql: string }>;
    for (const { name, type } of deferred) db.exec(`DROP ${type.toUpperCase()} ${name}`);
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < @last),
       g AS (SELECT i, i % ${KEYS} AS k, (i % ${KEYS} + (i / ${KEYS}) % 3) % 6 AS m, i % 20 = 7 AS failed, i % 11 = 3 AS unpriced FROM n)
       INSERT INTO requests (id, ts, face, operation, stream, key_id, key_name, user, tags, requested_model, served_model,
         provider, status, error_kind, attempts, latency_ms, ttft_ms, input_tokens, cache_read_tokens, cache_write_tokens,
         output_tokens, reasoning_tokens, cost_nanos, byok, cache_hit)
       SELECT printf('gen-%08d', i), strftime('%Y-%m-%dT%H:%M:%fZ', @start + i * @step, 'unixepoch'), 'openai', 'chat', i % 2,
         'key-' || k, 'key-name-' || k, 'user-' || (k % 8), json_array('team-' || (k % 4), CASE WHEN k % 2 = 0 THEN 'prod' ELSE 'dev' END),
         'provider-' || (m % 3) || '/model-' || m,
         CASE WHEN failed THEN NULL ELSE 'provider-' || (m % 3) || '/model-' || m END,
         CASE WHEN failed THEN NULL ELSE 'provider-' || (m % 3) END,
         CASE WHEN failed THEN 'error' ELSE 'ok' END, CASE WHEN failed THEN 'upstream_timeout' END, 1, 100 + i % 900, NULL,
         100 + i % 4000, i % 50, i % 7, 20 + i % 800, i % 13,
         CASE WHEN failed OR unpriced THEN NULL ELSE 1000 + (i * 7919) % 5000000 END, 0, 0
       FROM g`,
    ).run({ last: rows - 1, start, step });
    for (const { sql } of deferred) db.exec(sql);
    db.exec(REFILL_ROLLUPS);
    }).immediate();
  } finally {
    db.close();
  }
}

/**
 * Fills a PostgreSQL ledger (already migrated by the store) with the same `rows` generated
 * requests as `generateSqliteLedger`, and analyses the tables so plans fit their size.
 */
export async function generatePostgresLedger(url: string, rows: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query("SET LOCAL maintenance_work_mem = '256MB'");
    const { rows: indexes } = await client.query<{ name: string; sql: string }>(
      `SELECT indexname AS name, indexdef AS sql FROM pg_indexes
       WHERE tablename = 'requests' AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'requests'::regclass)`,
    );
    const { rows: triggers } = await client.query<{ name: string; sql: string }>(
      "SELECT tgname AS name, pg_get_triggerdef(oid) AS sql FROM pg_trigger WHERE tgrelid = 'requests'::regclass AND NOT tgisinternal",
    );
    for (const { name } of indexes) await client.query(`DROP INDEX ${name}`);
    for (const { name } of triggers) await client.query(`DROP TRIGGER ${name} ON requests`);
    const start = Date.parse(`${GENERATED_START}T00:00:00Z`) / 1000;
    await client.query(
      `INSERT INTO requests (id, ts, face, operation, stream, key_id, key_name, "user", tags, requested_model, served_model,
         provider, status, error_kind, attempts, latency_ms, ttft_ms, input_tokens, cache_read_tokens, cache_write_tokens,
         output_tokens, reasoning_tokens, cost_nanos, byok, cache_hit)
       SELECT 'gen-' || lpad(i::text, 8, '0'), to_char(to_timestamp($2::float8 + i * $3::float8) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         'openai', 'chat', i % 2 = 1,
         'key-' || k, 'key-name-' || k, 'user-' || (k % 8), ARRAY['team-' || (k % 4), CASE WHEN k % 2 = 0 THEN 'prod' ELSE 'dev' END],
         'provider-' || (m % 3) || '/model-' || m,
         CASE WHEN failed THEN NULL ELSE 'provider-' || (m % 3) || '/model-' || m END,
         CASE WHEN failed THEN NULL ELSE 'provider-' || (m % 3) END,
         CASE WHEN failed THEN 'error' ELSE 'ok' END, CASE WHEN failed THEN 'upstream_timeout' END, 1, 100 + i % 900, NULL,
         100 + i % 4000, i % 50, i % 7, 20 + i % 800, i % 13,
         CASE WHEN failed OR unpriced THEN NULL ELSE 1000 + (i * 7919) % 5000000 END, false, false
       FROM (SELECT i, i % ${KEYS} AS k, (i % ${KEYS} + (i / ${KEYS}) % 3) % 6 AS m, i % 20 = 7 AS failed, i % 11 = 3 AS unpriced
             FROM generate_series(0::bigint, $1::bigint) AS i) g`,
      [rows - 1, start, (GENERATED_DAYS * 86_400) / rows],
    );
    for (const { sql } of [...indexes, ...triggers]) await client.query(sql);
    await client.query(REFILL_POSTGRES_ROLLUPS);
    await client.query('COMMIT');
    await client.query('ANALYZE');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
