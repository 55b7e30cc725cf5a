import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ReadSql } from './report.js';

/**
 * Reads that may take a while (reports, the spend budgets start from) run on worker threads,
 * each with its own read-only connection, so a long one never holds up the event loop and the
 * requests it serves. WAL lets them read while the serving connection writes; a read begins after
 * the caller's commit, so it sees every row recorded before it.
 */
// At most two, and one fewer than the cores: the event loop keeps a core of its own while reports run.
const WORKERS = Math.max(1, Math.min(2, availableParallelism() - 1));
/** How long close() waits for a worker to close its connection. */
const STOP_WAIT_MS = 10_000;

// A script rather than a module file, as the checkpointer's: it runs the same from dist/ and
// from src/ under tsx and vitest. It only loads the driver the store uses.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('query_only = ON');
const statements = new Map();
parentPort.on('message', (message) => {
  if (message === 'stop') {
    db.close();
    parentPort.close();
    return;
  }
  const { id, sql, params } = message;
  try {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    parentPort.postMessage({ id, rows: statement.all(params) });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

interface Pending {
  resolve: (rows: unknown[]) => void;
  reject: (error: Error) => void;
}

interface ReadThread {
  worker: Worker;
  pending: Map<number, Pending>;
  exited: Promise<void>;
}

export interface ReadWorkers {
  read: ReadSql;
  /** Closes the workers' connections before resolving, so the caller's close is the last one. */
  close(): Promise<void>;
}

export function startReadWorkers(file: string): ReadWorkers {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const threads: ReadThread[] = [];
  let nextId = 0;
  let closed = false;

  const spawn = (): ReadThread => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file },
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
    });
    // Only a read in flight keeps the process alive.
    worker.unref();
    const thread: ReadThread = { worker, pending: new Map(), exited: new Promise((done) => worker.once('exit', () => done())) };
    const fail = (error: Error) => {
      const at = threads.indexOf(thread);
      if (at >= 0) threads.splice(at, 1);
      for (const { reject } of thread.pending.values()) reject(error);
      thread.pending.clear();
    };
    worker.on('message', (message: { id: number; rows?: unknown[]; error?: { message: string; code?: string } }) => {
      const waiting = thread.pending.get(message.id);
      if (!waiting) return;
      thread.pending.delete(message.id);
      if (thread.pending.size === 0) worker.unref();
      if (message.error) waiting.reject(Object.assign(new Error(message.error.message), message.error.code ? { code: message.error.code } : {}));
      else waiting.resolve(message.rows!);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`a ledger read worker exited (code ${code})`)));
    threads.push(thread);
    return thread;
  };

  /** An idle thread, a new one while there are fewer than WORKERS, else the least busy. */
  const pick = (): ReadThread => {
    const idle = threads.find((thread) => thread.pending.size === 0);
    if (idle) return idle;
    if (threads.length < WORKERS) return spawn();
    return threads.reduce((least, thread) => (thread.pending.size < least.pending.size ? thread : least));
  };

  const read: ReadSql = <T>(sql: string, params: Record<string, string | number>) => {
    if (closed) return Promise.reject(new Error('the ledger is closed'));
    const thread = pick();
    const id = nextId++;
    return new Promise<T[]>((resolve, reject) => {
      thread.pending.set(id, { resolve: resolve as (rows: unknown[]) => void, reject });
      thread.worker.ref();
      thread.worker.postMessage({ id, sql, params });
    });
  };

  return {
    read,
    close: async () => {
      closed = true;
      await Promise.all(
        threads.splice(0).map(async (thread) => {
          thread.worker.postMessage('stop');
          const timer = setTimeout(() => void thread.worker.terminate(), STOP_WAIT_MS);
          await thread.exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
