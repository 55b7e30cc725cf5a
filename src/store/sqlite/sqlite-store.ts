import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LEDGER_FILE } from '../../config/data-home.js';
import { cacheKeyLookups, KEY_LOOKUP_TTL_MS } from '../cached-keys.js';
import type {
  AttemptRow,
  BlobStore,
  LedgerWriter,
  Refusal,
  RefusalCount,
  ReportReader,
  RequestRow,
  SpendReader,
  Store,
  StoredMedia,
} from '../types.js';
import { CHECKPOINT_START_FRAMES, startCheckpointer, WAL_FRAME_BYTES, WAL_FRAMES_LIMIT, type Checkpointer } from './checkpointer.js';
import { sqliteKeyStore } from './keys.js';
import { migrate } from './schema.js';
import { startReadWorkers } from './read-worker.js';
import { sqliteCostSince, sqliteReport, type ReadSql } from './report.js';
import { sqliteRequestLog } from './requests.js';
import { sqliteResponses } from './responses.js';
import { sqliteWebhookDeliveries } from './webhook-deliveries.js';

const MIN_COMMIT_INTERVAL_MS = 2;
const WAL_LOOK_EVERY = 16;

function fileSize(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
}

export interface SqliteStoreOptions {
  /** Called when a batch of ledger rows cannot be written (disk full, a locked file). */
  onWriteError?: (error: unknown) => void;
  /** True while other requests are in flight, whose rows may share the next commit. */
  busy?: () => boolean;
  /** The clock key lookups are remembered by (tests move it past the cache's time). */
  now?: () => number;
  /** Called before an existing ledger's schema is upgraded, which can take a while on a large one. */
  onUpgrade?: (from: number, to: number) => void;
}

export function openSqliteStore(dataDir: string, options: SqliteStoreOptions = {}): Store {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LEDGER_FILE);
  const db = new Database(file);
  // First, so that a process opening the file while another creates it waits instead of failing.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL: a commit survives a process crash; only an OS crash can lose the last ones.
  db.pragma('synchronous = NORMAL');
  // Checkpoints run off the event loop (see checkpointer.ts); this connection's own are a backstop.
  db.pragma(`wal_autocheckpoint = ${WAL_FRAMES_LIMIT}`);
  db.pragma('foreign_keys = ON');
  // A ledger row's insert (its trigger writes the rollups) keeps a statement journal of every page
  // it changes; past 64 KiB, a page split or two, SQLite spills it to a temporary file it creates
  // and deletes within the commit. In memory, that costs no system call.
  db.pragma('temp_store = MEMORY');
  migrate(db, options.onUpgrade);
  // The worker costs a V8 isolate (about 8 MB), and it copies nothing until the WAL holds
  // CHECKPOINT_START_FRAMES: it starts once the WAL has grown to half that, so an idle server,
  // the CLI, or a gateway that has served little never pays for it. Null: it could not start.
  let checkpointer: Checkpointer | null | undefined;
  let writesSinceLook = 0;
  const checkpointsStopped = (error: unknown) =>
    process.emitWarning(`tollgate: background checkpoints stopped, checkpointing on commit instead: ${String(error)}`);
  const afterWrite = (large = false) => {
    if (checkpointer === undefined) {
      // A stat per commit would be a syscall on the hot path; every few commits is enough.
      if (!large && ++writesSinceLook < WAL_LOOK_EVERY) return;
      writesSinceLook = 0;
      if (fileSize(`${file}-wal`) < (CHECKPOINT_START_FRAMES / 2) * WAL_FRAME_BYTES) return;
      try {
        checkpointer = startCheckpointer(file, checkpointsStopped);
      } catch (error) {
        checkpointer = null;
        checkpointsStopped(error);
      }
    }
    checkpointer?.committed();
  };
  const readers = startReadWorkers(file);
  const ledger = sqliteLedger(
    db,
    readers.read,
    options.onWriteError ?? ((error) => process.emitWarning(`tollgate: ledger write failed: ${String(error)}`)),
    options.busy ?? (() => false),
    () => afterWrite(),
  );
  const keys = cacheKeyLookups(sqliteKeyStore(db), KEY_LOOKUP_TTL_MS, options.now);
  return {
    ledger: ledger.writer,
    spend: ledger.spend,
    reports: ledger.reports,
    keys,
    onKeyChange: keys.onChange,
    blobs: sqliteBlobs(db, () => afterWrite(true)),
    responses: sqliteResponses(db, () => afterWrite(true)),
    webhooks: sqliteWebhookDeliveries(db),
    // Rows are written where they are read: there is no spool.
    health: () => ({ ledger: 'ok', spooled: 0 }),
    close: async () => {
      // Reads in flight finish first; their connections close before this one, as the checkpointer's does.
      await readers.close();
      ledger.flush();
      // The worker's connection closes first, so that this one, the last, folds the WAL back
      // into the file and removes it, as on any clean close.
      checkpointer?.stop();
      db.close();
    },
  };
}

/**
 * Ledger rows are written in batches, one transaction per batch: a commit costs 45-70 µs here,
 * far more than a row. A gateway with one request in flight commits when its answer is about to
 * end (whenDurable), or in the next turn; a busy one commits at most every MIN_COMMIT_INTERVAL_MS,
 * so batches grow with load. Every read flushes first, so budgets and reports never miss a row; close() flushes what is left.
 */
function sqliteLedger(
  db: Database.Database,
  read: ReadSql,
  onWriteError: (error: unknown) => void,
  busy: () => boolean,
  afterCommit: () => void,
): { writer: LedgerWriter; spend: SpendReader; reports: ReportReader; flush(): void } {
  // Positional parameters: binding by name costs an object spread per row on the hot path.
  const insertRequest = db.prepare(`INSERT INTO requests (id, ts, face, operation, stream, key_id, key_name, user, tags,
      requested_model, served_model, provider, status, error_kind, attempts, latency_ms, ttft_ms,
      input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost_nanos, byok, cache_hit)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertAttempt = db.prepare(`INSERT INTO attempts (request_id, seq, ts, model, provider, status,
      error_kind, error_message, upstream_status, latency_ms, ttft_ms, input_tokens, cache_read_tokens,
      cache_write_tokens, output_tokens, reasoning_tokens, cost_nanos)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);

  const insertRequestRow = (id: string, r: RequestRow) => {
    const u = r.usage;
    insertRequest.run(
      id, r.ts, r.face, r.operation, r.stream ? 1 : 0, r.keyId, r.keyName, r.user,
      r.tags.length ? JSON.stringify(r.tags) : null, r.requestedModel, r.servedModel, r.provider, r.status,
      r.errorKind, r.attempts, r.latencyMs, r.ttftMs, u.input, u.cacheRead, u.cacheWrite, u.output, u.reasoning,
      r.costNanos, r.byok ? 1 : 0, r.cacheHit ? 1 : 0,
    );
  };

  // Keys and users are '' rather than NULL in the refusals table: NULLs never conflict in a primary key.
  const addRefusals = db.prepare(`INSERT INTO refusals (minute, key_id, key_name, user, kind, count) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (minute, key_id, user, kind) DO UPDATE SET count = count + excluded.count, key_name = excluded.key_name`);

  const writeBatch = db.transaction((batch: Array<[RequestRow, AttemptRow[]]>, refusals: Iterable<RefusalTally>) => {
    for (const { refusal: f, count } of refusals) addRefusals.run(minuteOf(f.ts), f.keyId ?? '', f.keyName, f.user ?? '', f.kind, count);
    for (const [r, attempts] of batch) {
      // The id may be the client's own `x-request-id`, so it can repeat. A repeat must neither
      // lose its spend nor abort the batch (every other request's rows with it): it is stored
      // under a suffixed id instead.
      let id = r.id;
      try {
        insertRequestRow(id, r);
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw error;
        id = `${r.id}~${randomUUID()}`;
        insertRequestRow(id, r);
      }
      for (const a of attempts) {
        const au = a.usage;
        insertAttempt.run(
          id, a.seq, a.ts, a.model, a.provider, a.status, a.errorKind, a.errorMessage, a.upstreamStatus,
          a.latencyMs, a.ttftMs, au?.input ?? null, au?.cacheRead ?? null, au?.cacheWrite ?? null, au?.output ?? null,
          au?.reasoning ?? null, a.costNanos,
        );
      }
    }
  });

  const requestLog = sqliteRequestLog(read);
  let pending: Array<[RequestRow, AttemptRow[]]> = [];
  // Refusals in this batch, one tally per counter they add to.
  let refusals = new Map<string, RefusalTally>();
  let scheduled = false;
  let lastCommit = 0;
  let durable: { promise: Promise<void>; resolve: () => void } | null = null;
  const flush = () => {
    scheduled = false;
    lastCommit = performance.now();
    const waiting = durable;
    durable = null;
    try {
      if ((pending.length === 0 && refusals.size === 0) || !db.open) return;
      const batch = pending;
      const tallies = refusals;
      pending = [];
      refusals = new Map();
      writeBatch(batch, tallies.values());
      afterCommit();
    } catch (error) {
      onWriteError(error);
    } finally {
      // Waiters are released either way: a failed write is reported, not a reason to hang answers.
      waiting?.resolve();
    }
  };

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    const wait = busy() ? lastCommit + MIN_COMMIT_INTERVAL_MS - performance.now() : 0;
    if (wait <= 0) setImmediate(flush);
    else setTimeout(flush, wait);
  };

  const listRefusals = db.prepare('SELECT minute, key_id, key_name, user, kind, count FROM refusals ORDER BY minute, key_id, user, kind');
  const writer: LedgerWriter = {
    record: (request, attempts) => {
      pending.push([request, attempts]);
      schedule();
    },
    countRefusal: (refusal) => {
      const counter = `${minuteOf(refusal.ts)}\u0000${refusal.keyId ?? ''}\u0000${refusal.user ?? ''}\u0000${refusal.kind}`;
      const tally = refusals.get(counter);
      if (tally) {
        tally.count += 1;
        tally.refusal = refusal;
      } else {
        refusals.set(counter, { refusal, count: 1 });
      }
      schedule();
    },
    whenDurable: () => {
      if (pending.length === 0) return null;
      // Nothing else in flight could share the commit: make it now rather than a turn later.
      if (!busy()) {
        flush();
        return null;
      }
      if (!durable) {
        let resolve!: () => void;
        const promise = new Promise<void>((done) => {
          resolve = done;
        });
        durable = { promise, resolve };
      }
      return durable.promise;
    },
    settled: async () => {
      await writer.whenDurable();
    },
  };
  return {
    writer,
    flush,
    spend: { costSince: async (filter) => (flush(), sqliteCostSince(read, filter)) },
    reports: {
      report: async (query, scope) => (flush(), sqliteReport(read, query, scope)),
      listRequests: async (query, scope) => (flush(), requestLog.list(query, scope)),
      getRequest: async (id, scope) => (flush(), requestLog.get(id, scope)),
      listRefusals: async () => {
        flush();
        return (listRefusals.all() as RawRefusal[]).map((row) => ({
          minute: row.minute,
          keyId: row.key_id || null,
          keyName: row.key_name,
          user: row.user || null,
          kind: row.kind,
          count: row.count,
        }));
      },
    },
  };
}

interface RawRefusal {
  minute: string;
  key_id: string;
  key_name: string | null;
  user: string;
  kind: RefusalCount['kind'];
  count: number;
}

interface RefusalTally {
  /** The latest refusal counted (its key name is the one stored). */
  refusal: Refusal;
  count: number;
}

/** `YYYY-MM-DDTHH:MM`: the UTC minute refusals are counted in. */
function minuteOf(ts: string): string {
  return ts.slice(0, 16);
}

function sqliteBlobs(db: Database.Database, afterWrite: () => void): BlobStore {
  const insert = db.prepare('INSERT INTO images (id, ts, media_type, bytes, owner) VALUES (?, ?, ?, ?, ?)');
  const select = db.prepare('SELECT id, media_type AS mediaType, bytes, owner, ts FROM images WHERE id = ?');
  const deleteBefore = db.prepare('DELETE FROM images WHERE ts < ?');
  return {
    put: async (media, owner, createdAt) => {
      insert.run(media.id, createdAt, media.mediaType, Buffer.from(media.bytes), owner);
      afterWrite();
    },
    get: async (id) => {
      const row = select.get(id) as { id: string; mediaType: string; bytes: Buffer; owner: string | null; ts: string } | undefined;
      if (!row) return undefined;
      return { id: row.id, mediaType: row.mediaType, bytes: new Uint8Array(row.bytes), owner: row.owner, createdAt: row.ts } satisfies StoredMedia;
    },
    deleteCreatedBefore: async (cutoff) => deleteBefore.run(cutoff).changes,
  };
}
