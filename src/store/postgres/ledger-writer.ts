/**
 * Ledger rows into PostgreSQL through the local spool: each batch of rows is appended to the
 * spool (durable: the answers holding those rows may end), and a shipper sends the spool on to
 * PostgreSQL in the background, several batches per statement, in order. An answer waits for a
 * local file write, not for a PostgreSQL round trip; while PostgreSQL is out of reach the spool
 * simply grows, and it drains once PostgreSQL answers again.
 *
 * Durable means what it means for the SQLite ledger (WAL, synchronous NORMAL): a row outlives a
 * crash of the process at once, and an OS crash only in the moment before PostgreSQL commits it
 * (milliseconds). While PostgreSQL is out of reach, when the spool is the only copy for longer,
 * each batch is also synced to disk before its answers end.
 *
 * Rows recorded while a batch is being synced go in the next one, so batches grow with load and
 * a quiet gateway writes each row at once.
 */
import type pg from 'pg';
import type { AttemptRow, LedgerWriter, RequestRow, StoreHealth } from '../types.js';
import { isUnreachable } from './connection.js';
import { applyBatches, minuteOf, newBatch, type LedgerBatch, type RefusalTally } from './ledger-batch.js';
import type { LedgerSpool } from './spool.js';

/** How soon, and at most how seldom, a degraded ledger tries PostgreSQL again. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1_000;

export interface PostgresLedgerOptions {
  /** Batches that PostgreSQL refused (not for being out of reach): they are reported and dropped. */
  onWriteError: (error: unknown) => void;
  /** Told once when PostgreSQL is found out of reach and once when the spool has drained into it again. */
  onDegraded?: (degraded: boolean, error?: unknown) => void;
  /** Resolves once the tables exist (migrations ran); a batch waits for it. */
  schemaReady: () => Promise<void>;
  /** Timers of the retries (tests move them). */
  setTimer?: (run: () => void, ms: number) => { unref?(): unknown };
}

export interface PostgresLedger extends LedgerWriter {
  health(): StoreHealth;
  /** Tries to empty the spool now, this process's and what earlier ones left (at start, and in tests). */
  drainSpool(): Promise<void>;
  close(): Promise<void>;
}

export function postgresLedger(pool: pg.Pool, spool: LedgerSpool, options: PostgresLedgerOptions): PostgresLedger {
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  let pending: Array<[RequestRow, AttemptRow[]]> = [];
  let refusals = new Map<string, RefusalTally>();
  /** Rows recorded, and rows spooled, counted from the start; waiters by the count they need. */
  let recorded = 0;
  let durable = 0;
  const waiters: Array<{ upTo: number; resolve: () => void }> = [];
  let writing: Promise<void> | null = null;
  let shipping: Promise<void> | null = null;
  let shipAgain = false;
  let degraded = false;
  let retryMs = RETRY_FIRST_MS;
  let retryTimer: { unref?(): unknown } | null = null;
  let closed = false;

  const apply = async (batches: LedgerBatch[]): Promise<void> => {
    await options.schemaReady();
    try {
      await applyBatches(pool, batches);
    } catch (error) {
      // Refused for what they hold, they would be refused again: reported, they make way for the rest.
      if (isUnreachable(error)) throw error;
      options.onWriteError(error);
    }
  };

  const release = () => {
    for (let index = waiters.length - 1; index >= 0; index--) {
      if (waiters[index]!.upTo <= durable) waiters.splice(index, 1)[0]!.resolve();
    }
  };

  const setDegraded = (next: boolean, error?: unknown) => {
    if (degraded === next) return;
    degraded = next;
    // Batches appended before the outage showed were not synced: they are now.
    if (next) void spool.sync().catch((syncError: unknown) => options.onWriteError(syncError));
    options.onDegraded?.(next, error);
  };

  const scheduleRetry = () => {
    if (retryTimer || closed) return;
    const wait = retryMs;
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    retryTimer = setTimer(() => {
      retryTimer = null;
      if (!closed) void ship();
    }, wait);
    retryTimer.unref?.();
  };

  /** Sends the spool to PostgreSQL until it has caught up; one shipment at a time, so batches stay in order. */
  const ship = (): Promise<void> => {
    if (shipping) {
      shipAgain = true;
      return shipping;
    }
    shipping = (async () => {
      try {
        do {
          shipAgain = false;
          await spool.drain(apply);
        } while (shipAgain);
        retryMs = RETRY_FIRST_MS;
        setDegraded(false);
      } catch (error) {
        if (isUnreachable(error)) setDegraded(true, error);
        else options.onWriteError(error);
        scheduleRetry();
      } finally {
        shipping = null;
      }
    })();
    return shipping;
  };

  const write = async (batch: LedgerBatch, upTo: number): Promise<void> => {
    try {
      await spool.append(batch, degraded);
      // While PostgreSQL is out of reach, the retry timer ships: not every batch knocking in vain.
      if (degraded) scheduleRetry();
      else void ship();
    } catch (spoolError) {
      // The spool cannot be written (disk full): the batch goes straight to PostgreSQL rather than nowhere.
      options.onWriteError(spoolError);
      await apply([batch]).catch((error: unknown) => options.onWriteError(error));
    } finally {
      // Waiters are released either way: a failed write is reported, not a reason to hang answers.
      durable = upTo;
      release();
    }
  };

  const flush = (): Promise<void> => {
    if (writing) return writing;
    if (pending.length === 0 && refusals.size === 0) return Promise.resolve();
    const batch = newBatch(pending, [...refusals.values()]);
    pending = [];
    refusals = new Map();
    writing = write(batch, recorded).finally(() => {
      writing = null;
      // Rows recorded while this batch was on its way form the next.
      if (pending.length || refusals.size) void flush();
    });
    return writing;
  };

  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void flush();
    });
  };

  const settled = async (): Promise<void> => {
    for (let round = 0; round < 1_000 && (writing || pending.length || refusals.size); round++) await flush();
    if (!degraded && (shipping || spool.pending)) await ship();
  };

  return {
    record: (request, attempts) => {
      pending.push([request, attempts]);
      recorded += 1;
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
      if (durable >= recorded) return null;
      const upTo = recorded;
      return new Promise<void>((resolve) => {
        waiters.push({ upTo, resolve });
      });
    },
    settled,
    health: () => ({ ledger: degraded ? 'degraded' : 'ok', spooled: spool.depth }),
    drainSpool: async () => {
      await spool.adoptOrphans();
      // A shipment on its way may have set out before PostgreSQL was back and fail for that:
      // this try starts after it.
      if (shipping) await shipping;
      if (spool.pending) await ship();
    },
    close: async () => {
      await settled();
      closed = true;
      // What is still spooled stays on disk: the next process on this data folder sends it.
      if (spool.pending) await ship();
      await spool.close();
    },
  };
}
