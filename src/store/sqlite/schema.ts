import type Database from 'better-sqlite3';

/** The attempts table's columns and key: as first made (with a rowid), and as kept since (without). */
export const ATTEMPT_COLUMNS = `request_id TEXT NOT NULL REFERENCES requests (id),
     seq INTEGER NOT NULL,
     ts TEXT NOT NULL,
     model TEXT NOT NULL,
     provider TEXT NOT NULL,
     status TEXT NOT NULL,
     error_kind TEXT,
     error_message TEXT,
     upstream_status INTEGER,
     latency_ms REAL NOT NULL,
     ttft_ms REAL,
     input_tokens INTEGER,
     cache_read_tokens INTEGER,
     cache_write_tokens INTEGER,
     output_tokens INTEGER,
     reasoning_tokens INTEGER,
     cost_nanos INTEGER,
     PRIMARY KEY (request_id, seq)`;

/**
 * Hourly sums of the ledger, one row per hour and combination of what reports group and filter
 * by (key, key name, user, model, provider, tag set), so reports and budgets read a few rows per
 * hour rather than every request. `dims` is that combination as one JSON value (NULL and '' stay
 * apart, which a primary key over nullable columns would not keep). A trigger keeps them in the
 * same transaction as the rows, whoever writes them; existing rows are summed in once.
 */
const ROLLUP_SUMS = `count(*), coalesce(sum(cost_nanos), 0), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
  sum(cache_write_tokens), sum(reasoning_tokens), sum(cost_nanos IS NULL AND served_model IS NOT NULL)`;
const ROLLUP_HOURS_FROM_REQUESTS = `INSERT INTO rollup_hours
     SELECT substr(ts, 1, 13), json_array(key_id, key_name, user, coalesce(served_model, requested_model), provider, tags),
       key_id, key_name, user, coalesce(served_model, requested_model), provider, tags, ${ROLLUP_SUMS}
     FROM requests GROUP BY 1, 2;`;
const ROLLUPS = `CREATE TABLE rollup_hours (
     hour TEXT NOT NULL,
     dims TEXT NOT NULL,
     key_id TEXT,
     key_name TEXT,
     user TEXT,
     model TEXT NOT NULL,
     provider TEXT,
     tags TEXT,
     request_count INTEGER NOT NULL,
     cost_nanos INTEGER NOT NULL,
     input_tokens INTEGER NOT NULL,
     output_tokens INTEGER NOT NULL,
     cache_read_tokens INTEGER NOT NULL,
     cache_write_tokens INTEGER NOT NULL,
     reasoning_tokens INTEGER NOT NULL,
     unpriced_request_count INTEGER NOT NULL,
     PRIMARY KEY (hour, dims)
   ) WITHOUT ROWID;
   CREATE INDEX rollup_hours_key ON rollup_hours (key_id, hour);
   CREATE INDEX rollup_hours_user ON rollup_hours (user, hour);
   ${ROLLUP_HOURS_FROM_REQUESTS}
   CREATE TRIGGER requests_rollup AFTER INSERT ON requests BEGIN
     INSERT INTO rollup_hours VALUES (substr(NEW.ts, 1, 13),
       json_array(NEW.key_id, NEW.key_name, NEW.user, coalesce(NEW.served_model, NEW.requested_model), NEW.provider, NEW.tags),
       NEW.key_id, NEW.key_name, NEW.user, coalesce(NEW.served_model, NEW.requested_model), NEW.provider, NEW.tags,
       1, coalesce(NEW.cost_nanos, 0), NEW.input_tokens, NEW.output_tokens, NEW.cache_read_tokens, NEW.cache_write_tokens,
       NEW.reasoning_tokens, NEW.cost_nanos IS NULL AND NEW.served_model IS NOT NULL)
     ON CONFLICT (hour, dims) DO UPDATE SET
       request_count = request_count + 1,
       cost_nanos = cost_nanos + excluded.cost_nanos,
       input_tokens = input_tokens + excluded.input_tokens,
       output_tokens = output_tokens + excluded.output_tokens,
       cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
       cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
       reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
       unpriced_request_count = unpriced_request_count + excluded.unpriced_request_count;
   END;`;

/** Sums a rollup row keeps; a request adds 1 to request_count. */
const SUMS = ['request_count', 'cost_nanos', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens', 'unpriced_request_count'];
const DIMENSIONS = 'key_id, key_name, user, model, provider, tags';

/** One request's part in a rollup row of `table`, whose period is `period` (the first `length` characters of `ts`). */
function addRequest(table: string, period: string, length: number): string {
  return `INSERT INTO ${table} VALUES (substr(NEW.ts, 1, ${length}),
       json_array(NEW.key_id, NEW.key_name, NEW.user, coalesce(NEW.served_model, NEW.requested_model), NEW.provider, NEW.tags),
       NEW.key_id, NEW.key_name, NEW.user, coalesce(NEW.served_model, NEW.requested_model), NEW.provider, NEW.tags,
       1, coalesce(NEW.cost_nanos, 0), NEW.input_tokens, NEW.output_tokens, NEW.cache_read_tokens, NEW.cache_write_tokens,
       NEW.reasoning_tokens, NEW.cost_nanos IS NULL AND NEW.served_model IS NOT NULL)
     ON CONFLICT (${period}, dims) DO UPDATE SET ${SUMS.map((sum) => `${sum} = ${sum} + excluded.${sum}`).join(', ')};`;
}

/** Keeps both rollups in the transaction that writes the request, whoever writes it. */
export const ROLLUP_TRIGGER = `CREATE TRIGGER requests_rollup AFTER INSERT ON requests BEGIN
     ${addRequest('rollup_hours', 'hour', 13)}
     ${addRequest('rollup_days', 'day', 10)}
   END;`;

const DAYS_FROM_HOURS = `INSERT INTO rollup_days
     SELECT substr(hour, 1, 10), dims, ${DIMENSIONS}, ${SUMS.map((sum) => `sum(${sum})`).join(', ')} FROM rollup_hours GROUP BY 1, 2;`;

/** Sums both rollups again from the request rows (the migration did so once; bulk loads without the trigger do it after). */
export const REFILL_ROLLUPS = `DELETE FROM rollup_hours;
   DELETE FROM rollup_days;
   ${ROLLUP_HOURS_FROM_REQUESTS}
   ${DAYS_FROM_HOURS}`;

/**
 * Daily sums, as the hourly ones: reports over whole days (all but those by hour) read 24 times
 * fewer rows. Summed from the hourly rollups; the trigger then keeps both.
 */
const ROLLUP_DAYS = `CREATE TABLE rollup_days (
     day TEXT NOT NULL,
     dims TEXT NOT NULL,
     key_id TEXT,
     key_name TEXT,
     user TEXT,
     model TEXT NOT NULL,
     provider TEXT,
     tags TEXT,
     request_count INTEGER NOT NULL,
     cost_nanos INTEGER NOT NULL,
     input_tokens INTEGER NOT NULL,
     output_tokens INTEGER NOT NULL,
     cache_read_tokens INTEGER NOT NULL,
     cache_write_tokens INTEGER NOT NULL,
     reasoning_tokens INTEGER NOT NULL,
     unpriced_request_count INTEGER NOT NULL,
     PRIMARY KEY (day, dims)
   ) WITHOUT ROWID;
   CREATE INDEX rollup_days_key ON rollup_days (key_id, day);
   CREATE INDEX rollup_days_user ON rollup_days (user, day);
   ${DAYS_FROM_HOURS}
   DROP TRIGGER requests_rollup;
   ${ROLLUP_TRIGGER}`;

/**
 * Each index a request row enters is a page its commit writes to the WAL. Rows without a key or
 * user (a gateway without auth) and successful ones are never looked up by those columns: the
 * filters are `key_id = ?`, `user = ?`, `key_name = ?`, and a status other than 'ok' (which the
 * request log names with `status <> 'ok'`, so the index serves it). 'ok' itself is most rows:
 * walking the ledger newest first finds a page of them at once.
 */
const PARTIAL_LOG_INDEXES = `DROP INDEX requests_key_ts;
   CREATE INDEX requests_key_ts ON requests (key_id, ts) WHERE key_id IS NOT NULL;
   DROP INDEX requests_user_ts;
   CREATE INDEX requests_user_ts ON requests (user, ts) WHERE user IS NOT NULL;
   DROP INDEX requests_key_name_ts;
   CREATE INDEX requests_key_name_ts ON requests (key_name, ts) WHERE key_name IS NOT NULL;
   DROP INDEX requests_status_ts;
   CREATE INDEX requests_status_ts ON requests (status, ts) WHERE status <> 'ok';`;

/**
 * Attempts keyed by their primary key alone, with no rowid: the key's index was a second b-tree,
 * a second page for each commit to write. Copied in key order, so the copy only appends.
 */
const ATTEMPTS_WITHOUT_ROWID = `CREATE TABLE attempts_by_key (
     ${ATTEMPT_COLUMNS}
   ) WITHOUT ROWID;
   INSERT INTO attempts_by_key SELECT * FROM attempts ORDER BY request_id, seq;
   DROP TABLE attempts;
   ALTER TABLE attempts_by_key RENAME TO attempts;`;

/** Ordered migrations; `user_version` records how many have run. */
const migrations: string[] = [
  `CREATE TABLE requests (
     id TEXT PRIMARY KEY,
     ts TEXT NOT NULL,
     face TEXT NOT NULL,
     operation TEXT NOT NULL,
     stream INTEGER NOT NULL,
     key_id TEXT,
     user TEXT,
     tags TEXT,
     requested_model TEXT NOT NULL,
     served_model TEXT,
     provider TEXT,
     status TEXT NOT NULL,
     error_kind TEXT,
     attempts INTEGER NOT NULL,
     latency_ms REAL NOT NULL,
     ttft_ms REAL,
     input_tokens INTEGER NOT NULL,
     cache_read_tokens INTEGER NOT NULL,
     cache_write_tokens INTEGER NOT NULL,
     output_tokens INTEGER NOT NULL,
     reasoning_tokens INTEGER NOT NULL,
     cost_nanos INTEGER
   );
   CREATE INDEX requests_ts ON requests (ts);
   CREATE INDEX requests_key_ts ON requests (key_id, ts);
   CREATE TABLE attempts (
     ${ATTEMPT_COLUMNS}
   );
   CREATE TABLE images (
     id TEXT PRIMARY KEY,
     ts TEXT NOT NULL,
     media_type TEXT NOT NULL,
     bytes BLOB NOT NULL
   );`,
  // Governance: virtual keys (hash only), webhook deliveries, key names on ledger rows.
  `CREATE TABLE keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     prefix TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     revoked_at TEXT,
     expires_at TEXT,
     user TEXT,
     tags TEXT,
     budget_nanos INTEGER,
     budget_period TEXT NOT NULL DEFAULT 'month',
     models TEXT,
     providers TEXT,
     rpm INTEGER,
     tpm INTEGER
   );
   CREATE UNIQUE INDEX keys_live_name ON keys (name) WHERE revoked_at IS NULL;
   CREATE TABLE webhook_deliveries (
     id TEXT PRIMARY KEY,
     ts TEXT NOT NULL,
     url TEXT NOT NULL,
     event_type TEXT NOT NULL,
     payload TEXT NOT NULL,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     last_status INTEGER,
     last_error TEXT,
     delivered_at TEXT
   );
   ALTER TABLE requests ADD COLUMN key_name TEXT;
   CREATE INDEX requests_user_ts ON requests (user, ts);`,
  // The request log (`GET /v1/requests`): newest first, filtered by model, key name, status or
  // error kind. The model index is on the expression the queries use; errors are few, so their
  // index holds only them.
  `CREATE INDEX requests_model_ts ON requests (coalesce(served_model, requested_model), ts);
   CREATE INDEX requests_key_name_ts ON requests (key_name, ts);
   CREATE INDEX requests_status_ts ON requests (status, ts);
   CREATE INDEX requests_error_kind_ts ON requests (error_kind, ts) WHERE error_kind IS NOT NULL;`,
  // Scoping: keys that may name users, owners and expiry of stored media, refusal counts.
  `ALTER TABLE keys ADD COLUMN allow_user_override INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE refusals (
     minute TEXT NOT NULL,
     key_id TEXT NOT NULL,
     key_name TEXT,
     user TEXT NOT NULL,
     kind TEXT NOT NULL,
     count INTEGER NOT NULL,
     PRIMARY KEY (minute, key_id, user, kind)
   ) WITHOUT ROWID;
   ALTER TABLE images ADD COLUMN owner TEXT;
   CREATE INDEX images_ts ON images (ts);`,
  // Requests that brought their own provider keys, and keys that may not.
  `ALTER TABLE requests ADD COLUMN byok INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE keys ADD COLUMN allow_byok INTEGER NOT NULL DEFAULT 1;`,
  // Requests answered from the response cache.
  `ALTER TABLE requests ADD COLUMN cache_hit INTEGER NOT NULL DEFAULT 0;`,
  // Responses API responses kept for `previous_response_id`, per caller, swept by age.
  `CREATE TABLE responses (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     created_at TEXT NOT NULL,
     response TEXT NOT NULL,
     input_items TEXT NOT NULL
   );
   CREATE INDEX responses_created_at ON responses (created_at);`,
  ROLLUPS,
  ROLLUP_DAYS,
  PARTIAL_LOG_INDEXES,
  ATTEMPTS_WITHOUT_ROWID,
];

/** The schema version that added the rollups (tests take a ledger back to the one before). */
export const ROLLUPS_VERSION = migrations.indexOf(ROLLUPS) + 1;
/** The schema version that made the request log's key, user and status indexes partial. */
export const PARTIAL_LOG_INDEXES_VERSION = migrations.indexOf(PARTIAL_LOG_INDEXES) + 1;
/** The schema version that keyed attempts by their primary key alone. */
export const ATTEMPTS_WITHOUT_ROWID_VERSION = migrations.indexOf(ATTEMPTS_WITHOUT_ROWID) + 1;

/**
 * Brings the schema to the newest version. Several processes may open a new data folder at once
 * (a server, `tollgate mcp`, the CLI): the write lock is taken before the version is read, so one
 * migrates while the others wait, then find nothing left to do. `upgrading` hears of an existing
 * ledger being upgraded before the work starts: some versions rebuild a table or an index, which
 * takes seconds per million rows, and a server that says nothing meanwhile looks hung.
 */
export function migrate(db: Database.Database, upgrading?: (from: number, to: number) => void): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > 0 && version < migrations.length) upgrading?.(version, migrations.length);
    for (let index = version; index < migrations.length; index++) {
      db.exec(migrations[index]!);
      db.pragma(`user_version = ${index + 1}`);
    }
  }).immediate();
}
