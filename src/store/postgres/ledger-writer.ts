/**
 * Ledger rows into PostgreSQL, in batches: rows recorded while a batch is on its way go in the
 * next one, so batches grow with load and a quiet gateway writes each row at once. One batch is
 * in flight at a time, so they commit in the order they were recorded.
 *
 * While PostgreSQL is out of reach, batches go to the local spool instead, and so does every
 * batch after them until the spool has drained (in order) into PostgreSQL again.
 */
import type pg from 'pg';
import type { AttemptRow, LedgerWriter, RequestRow, StoreHealth } from '../types.js';
import { isUnreachable } from './connection.js';
import { applyBatch, minuteOf, newBatch, type LedgerBatch, type RefusalTally } from './ledger-batch.js';
import type { LedgerSpool } from './spool.js';

/** How soon, and at most how seldom, a degraded ledger tries PostgreSQL again. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1_000;

export interface PostgresLedgerOptions {
  /** A batch that PostgreSQL refused (not for being out of reach): it is reported and dropped. */
  onWriteError: (error: unknown) => void;
  /** Told once when the ledger starts spooling and once when it has drained. */
  onDegraded?: (degraded: boolean, error?: unknown) => void;
  /** Resolves once the tables exist (migrations ran); a batch waits for it. */
  schemaReady: () => Promise<void>;
  /** Timers of the retries (tests move them). */
  setTimer?: (run: () => void, ms: number) => { unref?(): unknown };
}

export interface PostgresLedger extends LedgerWriter {
  health(): StoreHealth;
  /** Resolves once every row recorded so far is committed or spooled. */
  settled(): Promise<void>;
  /** Tries to empty the spool now (at start, and in tests). */
  drainSpool(): Promise<void>;
  close(): Promise<void>;
}

export function postgresLedger(pool: pg.Pool, spool: LedgerSpool, options: PostgresLedgerOptions): PostgresLedger {
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  let pending: Array<[RequestRow, AttemptRow[]]> = [];
  let refusals = new Map<string, RefusalTally>();
  /** Rows recorded, and rows committed or spooled, counted from the start; waiters by the count they need. */
  let recorded = 0;
  let durable = 0;
  const waiters: Array<{ upTo: number; resolve: () => void }> = [];
  let writing: Promise<void> | null = null;
  let degraded = false;
  let retryMs = RETRY_FIRST_MS;
  let retryTimer: { unref?(): unknown } | null = null;
  let closed = false;
  const apply = async (batch: LedgerBatch): Promise<void> => {
    await options.schemaReady();
    await applyBatch(pool, batch);
  };

  const release = () => {
    for (let index = waiters.length - 1; index >= 0; index--) {
      if (waiters[index]!.upTo <= durable) waiters.splice(index, 1)[0]!.resolve();
    }
  };

  const setDegraded = (next: boolean, error?: unknown) => {
    if (degraded === next) return;
    degraded = next;
    options.onDegraded?.(next, error);
  };

  const tryDrain = async (): Promise<void> => {
    retryTimer = null;
    if (closed) return;
    try {
      await spool.drain(apply);
      if (!spool.pending) {
        retryMs = RETRY_FIRST_MS;
        setDegraded(false);
        return;
      }
    } catch (error) {
      if (!isUnreachable(error)) options.onWriteError(error);
    }
    scheduleDrain();
  };

  const scheduleDrain = () => {
    if (retryTimer || closed) return;
    const wait = retryMs;
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    retryTimer = setTimer(() => void tryDrain(), wait);
    retryTimer.unref?.();
  };

  const write = async (batch: LedgerBatch, upTo: number): Promise<void> => {
    try {
      // Behind spooled rows, new ones queue in the spool too: the ledger keeps their order.
      if (degraded || spool.pending) {
        await spool.append(batch);
        scheduleDrain();
      } else {
        try {
          await apply(batch);
        } catch (error) {
          if (!isUnreachable(error)) throw error;
          // It may have committed before the connection broke: the batch's id keeps a second
          // application from counting it again.
          await spool.append(batch);
          setDegraded(true, error);
          scheduleDrain();
        }
      }
    } catch (error) {
      options.onWriteError(error);
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
    health: () => ({ ledger: degraded || spool.pending ? 'degraded' : 'ok', spooled: spool.depth }),
    settled,
    drainSpool: async () => {
      await spool.adoptOrphans();
      if (spool.pending) {
        setDegraded(true);
        await tryDrain();
      }
    },
    close: async () => {
      await settled();
      closed = true;
      // What is still spooled stays on disk: the next process on this data folder sends it.
      await spool.drain(apply).catch(() => undefined);
      await spool.close();
    },
  };
}
