import type pg from 'pg';

/** One rollup row's dimensions, from a request row; `dims` is all of them as one value, NULLs apart from ''. */
const ROLLUP_DIMENSIONS = `substr(ts, 1, 13) AS hour,
  jsonb_build_array(key_id, key_name, "user", coalesce(served_model, requested_model), provider, tags)::text AS dims,
  key_id, key_name, "user", coalesce(served_model, requested_model) AS model, provider, tags`;
const ROLLUP_SUMS = `count(*), coalesce(sum(cost_nanos), 0), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
  sum(cache_write_tokens), sum(reasoning_tokens), count(*) FILTER (WHERE cost_nanos IS NULL AND served_model IS NOT NULL)`;
const ROLLUP_GROUPS = `GROUP BY substr(ts, 1, 13), key_id, key_name, "user", coalesce(served_model, requested_model), provider, tags`;
const HOURS_FROM_REQUESTS = `INSERT INTO rollup_hours SELECT ${ROLLUP_DIMENSIONS}, ${ROLLUP_SUMS} FROM requests ${ROLLUP_GROUPS};`;

/**
 * Hourly sums of the ledger, one row per hour and combination of what reports group and filter
 * by (key, key name, user, model, provider, tag set), so reports and budgets read a few rows per
 * hour rather than every request. A statement trigger adds each batch's sums in the batch's own
 * transaction, in key order (instances adding to the same rows at once take their locks in one
 * order); existing rows are summed in once.
 */
const ROLLUPS = `CREATE TABLE rollup_hours (
     hour text COLLATE "C" NOT NULL,
     dims text COLLATE "C" NOT NULL,
     key_id text COLLATE "C",
     key_name text COLLATE "C",
     "user" text COLLATE "C",
     model text COLLATE "C" NOT NULL,
     provider text COLLATE "C",
     tags text[] COLLATE "C",
     request_count bigint NOT NULL,
     cost_nanos bigint NOT NULL,
     input_tokens bigint NOT NULL,
     output_tokens bigint NOT NULL,
     cache_read_tokens bigint NOT NULL,
     cache_write_tokens bigint NOT NULL,
     reasoning_tokens bigint NOT NULL,
     unpriced_request_count bigint NOT NULL,
     PRIMARY KEY (hour, dims)
   );
   CREATE INDEX rollup_hours_key ON rollup_hours (key_id, hour);
   CREATE INDEX rollup_hours_user ON rollup_hours ("user", hour);
   ${HOURS_FROM_REQUESTS}
   CREATE FUNCTION tollgate_rollup_requests() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     INSERT INTO rollup_hours AS h
       SELECT ${ROLLUP_DIMENSIONS}, ${ROLLUP_SUMS} FROM new_requests ${ROLLUP_GROUPS} ORDER BY 1, 2
     ON CONFLICT (hour, dims) DO UPDATE SET
       request_count = h.request_count + excluded.request_count,
       cost_nanos = h.cost_nanos + excluded.cost_nanos,
       input_tokens = h.input_tokens + excluded.input_tokens,
       output_tokens = h.output_tokens + excluded.output_tokens,
       cache_read_tokens = h.cache_read_tokens + excluded.cache_read_tokens,
       cache_write_tokens = h.cache_write_tokens + excluded.cache_write_tokens,
       reasoning_tokens = h.reasoning_tokens + excluded.reasoning_tokens,
       unpriced_request_count = h.unpriced_request_count + excluded.unpriced_request_count;
     RETURN NULL;
   END $$;
   CREATE TRIGGER requests_rollup AFTER INSERT ON requests REFERENCING NEW TABLE AS new_requests
     FOR EACH STATEMENT EXECUTE FUNCTION tollgate_rollup_requests();`;

const SUMS = ['request_count', 'cost_nanos', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens', 'unpriced_request_count'];

const DAYS_FROM_HOURS = `INSERT INTO rollup_days
     SELECT substr(hour, 1, 10), dims, key_id, key_name, "user", model, provider, tags, ${SUMS.map((sum) => `sum(${sum})`).join(', ')}
     FROM rollup_hours GROUP BY 1, dims, key_id, key_name, "user", model, provider, tags;`;

/** Sums both rollups again from the request rows (the migrations did so once; bulk loads without the trigger do it after). */
export const REFILL_ROLLUPS = `TRUNCATE rollup_hours, rollup_days;
   ${HOURS_FROM_REQUESTS}
   ${DAYS_FROM_HOURS}`;

/** A batch's sums into the rollup `table`, whose period is `period` (the first `length` characters of `ts`), in key order. */
function addBatch(table: string, period: string, length: number): string {
  return `INSERT INTO ${table} AS h
       SELECT substr(ts, 1, ${length}),
         jsonb_build_array(key_id, key_name, "user", coalesce(served_model, requested_model), provider, tags)::text,
         key_id, key_name, "user", coalesce(served_model, requested_model), provider, tags, ${ROLLUP_SUMS}
       FROM new_requests
       GROUP BY substr(ts, 1, ${length}), key_id, key_name, "user", coalesce(served_model, requested_model), provider, tags
       ORDER BY 1, 2
     ON CONFLICT (${period}, dims) DO UPDATE SET ${SUMS.map((sum) => `${sum} = h.${sum} + excluded.${sum}`).join(', ')};`;
}

/**
 * Daily sums, as the hourly ones: reports over whole days (all but those by hour) read 24 times
 * fewer rows. Summed from the hourly rollups; the trigger then keeps both.
 */
const ROLLUP_DAYS = `CREATE TABLE rollup_days (
     day text COLLATE "C" NOT NULL,
     dims text COLLATE "C" NOT NULL,
     key_id text COLLATE "C",
     key_name text COLLATE "C",
     "user" text COLLATE "C",
     model text COLLATE "C" NOT NULL,
     provider text COLLATE "C",
     tags text[] COLLATE "C",
     request_count bigint NOT NULL,
     cost_nanos bigint NOT NULL,
     input_tokens bigint NOT NULL,
     output_tokens bigint NOT NULL,
     cache_read_tokens bigint NOT NULL,
     cache_write_tokens bigint NOT NULL,
     reasoning_tokens bigint NOT NULL,
     unpriced_request_count bigint NOT NULL,
     PRIMARY KEY (day, dims)
   );
   CREATE INDEX rollup_days_key ON rollup_days (key_id, day);
   CREATE INDEX rollup_days_user ON rollup_days ("user", day);
   ${DAYS_FROM_HOURS}
   CREATE OR REPLACE FUNCTION tollgate_rollup_requests() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     ${addBatch('rollup_hours', 'hour', 13)}
     ${addBatch('rollup_days', 'day', 10)}
     RETURN NULL;
   END $$;`;

/**
 * Ordered migrations; `tollgate_migrations` records which have run. Text columns compare as
 * bytes (COLLATE "C"), as SQLite compares them, so reports order and filter alike on both.
 * Times are ISO 8601 UTC text, as the SQLite ledger keeps them: reports cut days and hours from
 * them, and rows read back exactly as written.
 */
const migrations: string[] = [
  `CREATE TABLE requests (
     id text COLLATE "C" PRIMARY KEY,
     ts text COLLATE "C" NOT NULL,
     face text COLLATE "C" NOT NULL,
     operation text COLLATE "C" NOT NULL,
     stream boolean NOT NULL,
     key_id text COLLATE "C",
     key_name text COLLATE "C",
     "user" text COLLATE "C",
     tags text[] COLLATE "C",
     requested_model text COLLATE "C" NOT NULL,
     served_model text COLLATE "C",
     provider text COLLATE "C",
     status text COLLATE "C" NOT NULL,
     error_kind text COLLATE "C",
     attempts integer NOT NULL,
     latency_ms double precision NOT NULL,
     ttft_ms double precision,
     input_tokens bigint NOT NULL,
     cache_read_tokens bigint NOT NULL,
     cache_write_tokens bigint NOT NULL,
     output_tokens bigint NOT NULL,
     reasoning_tokens bigint NOT NULL,
     cost_nanos bigint
   );
   CREATE INDEX requests_ts ON requests (ts);
   CREATE INDEX requests_key_ts ON requests (key_id, ts);
   CREATE INDEX requests_user_ts ON requests ("user", ts);
   CREATE INDEX requests_model_ts ON requests ((coalesce(served_model, requested_model)), ts);
   CREATE INDEX requests_key_name_ts ON requests (key_name, ts);
   CREATE INDEX requests_status_ts ON requests (status, ts);
   CREATE INDEX requests_error_kind_ts ON requests (error_kind, ts) WHERE error_kind IS NOT NULL;
   CREATE INDEX requests_tags ON requests USING gin (tags);
   CREATE TABLE attempts (
     request_id text COLLATE "C" NOT NULL REFERENCES requests (id),
     seq integer NOT NULL,
     ts text COLLATE "C" NOT NULL,
     model text COLLATE "C" NOT NULL,
     provider text COLLATE "C" NOT NULL,
     status text COLLATE "C" NOT NULL,
     error_kind text COLLATE "C",
     error_message text,
     upstream_status integer,
     latency_ms double precision NOT NULL,
     ttft_ms double precision,
     input_tokens bigint,
     cache_read_tokens bigint,
     cache_write_tokens bigint,
     output_tokens bigint,
     reasoning_tokens bigint,
     cost_nanos bigint,
     PRIMARY KEY (request_id, seq)
   );
   -- Keys and users are '' rather than NULL here: NULLs never conflict in a primary key.
   CREATE TABLE refusals (
     minute text COLLATE "C" NOT NULL,
     key_id text COLLATE "C" NOT NULL,
     key_name text COLLATE "C",
     "user" text COLLATE "C" NOT NULL,
     kind text COLLATE "C" NOT NULL,
     count bigint NOT NULL,
     PRIMARY KEY (minute, key_id, "user", kind)
   );
   -- One row per batch of ledger rows written: a batch sent again (its commit was not
   -- acknowledged, or it comes back from the spool) finds its id here and is not applied twice.
   CREATE TABLE ledger_batches (
     id uuid PRIMARY KEY,
     committed_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE TABLE blobs (
     id text COLLATE "C" PRIMARY KEY,
     ts text COLLATE "C" NOT NULL,
     media_type text NOT NULL,
     bytes bytea NOT NULL,
     owner text COLLATE "C"
   );
   CREATE INDEX blobs_ts ON blobs (ts);
   CREATE TABLE keys (
     seq bigserial UNIQUE,
     id text COLLATE "C" PRIMARY KEY,
     name text COLLATE "C" NOT NULL,
     prefix text COLLATE "C" NOT NULL,
     hash text COLLATE "C" NOT NULL UNIQUE,
     created_at text COLLATE "C" NOT NULL,
     updated_at text COLLATE "C" NOT NULL,
     revoked_at text COLLATE "C",
     expires_at text COLLATE "C",
     "user" text COLLATE "C",
     tags text[] COLLATE "C",
     budget_nanos bigint,
     budget_period text COLLATE "C" NOT NULL DEFAULT 'month',
     models text[] COLLATE "C",
     providers text[] COLLATE "C",
     rpm integer,
     tpm integer,
     allow_user_override boolean NOT NULL DEFAULT false
   );
   CREATE UNIQUE INDEX keys_live_name ON keys (name) WHERE revoked_at IS NULL;
   -- Every instance keeps the keys it has looked up; this tells each of them what changed.
   CREATE FUNCTION tollgate_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_notify('tollgate_keys', NEW.id);
     RETURN NULL;
   END $$;
   CREATE TRIGGER keys_changed AFTER INSERT OR UPDATE ON keys FOR EACH ROW EXECUTE FUNCTION tollgate_keys_changed();
   CREATE TABLE webhook_deliveries (
     seq bigserial UNIQUE,
     id text COLLATE "C" PRIMARY KEY,
     ts text COLLATE "C" NOT NULL,
     url text NOT NULL,
     event_type text COLLATE "C" NOT NULL,
     payload text NOT NULL,
     status text COLLATE "C" NOT NULL,
     attempts integer NOT NULL,
     last_status integer,
     last_error text,
     delivered_at text COLLATE "C"
   );
   CREATE INDEX webhook_deliveries_ts ON webhook_deliveries (ts, seq);`,
  // Requests that brought their own provider keys, and keys that may not.
  `ALTER TABLE requests ADD COLUMN byok boolean NOT NULL DEFAULT false;
   ALTER TABLE keys ADD COLUMN allow_byok boolean NOT NULL DEFAULT true;`,
  // Requests answered from the response cache.
  `ALTER TABLE requests ADD COLUMN cache_hit boolean NOT NULL DEFAULT false;`,
  // Responses API responses kept for `previous_response_id`, per caller, swept by age. The JSON
  // is text, not jsonb, so it reads back byte for byte as written.
  `CREATE TABLE responses (
     id text COLLATE "C" PRIMARY KEY,
     owner text COLLATE "C" NOT NULL,
     created_at text COLLATE "C" NOT NULL,
     response text NOT NULL,
     input_items text NOT NULL
   );
   CREATE INDEX responses_created_at ON responses (created_at);`,
  ROLLUPS,
  ROLLUP_DAYS,
];

/** An arbitrary constant: the advisory lock every Tollgate instance takes to migrate. */
const MIGRATION_LOCK = 7_415_220_931;

/**
 * Brings the schema to the newest version. Instances starting at once queue on an advisory lock:
 * one migrates while the others wait, then find nothing left to do. Each migration commits with
 * its version, so one cut short is run again whole.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS tollgate_migrations (
        version integer PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM tollgate_migrations');
      const done = rows[0]?.version ?? 0;
      if (done > migrations.length) {
        throw new Error(`the database's schema (version ${done}) is newer than this Tollgate knows (${migrations.length}); upgrade Tollgate`);
      }
      for (let index = done; index < migrations.length; index++) {
        await client.query('BEGIN');
        try {
          await client.query(migrations[index]!);
          await client.query('INSERT INTO tollgate_migrations (version) VALUES ($1)', [index + 1]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

export const SCHEMA_VERSION = migrations.length;
/** The schema version that added the rollups (tests take a database back to the one before). */
export const ROLLUPS_VERSION = migrations.indexOf(ROLLUPS) + 1;
