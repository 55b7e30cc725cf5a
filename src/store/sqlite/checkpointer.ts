import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * A WAL checkpoint copies pages into the database file and fsyncs both files: 10-25 ms here once
 * the WAL holds a few thousand pages. Run by SQLite's auto-checkpoint, it falls on the commit that
 * trips it, on the event loop, where every request in flight waits for it. So a worker thread with
 * its own connection checkpoints (PASSIVE: it never takes the write lock, so commits never wait for
 * it), and the serving connection's auto-checkpoint is only a backstop.
 *
 * The WAL starts over only when a write begins with every frame already copied back, and that
 * write syncs the WAL's new header, on the event loop. The worker therefore lets the WAL grow to
 * CHECKPOINT_START_FRAMES (the serving connection's own threshold before the worker) before it
 * copies: one such sync every few thousand pages, not one per pass.
 */
export const CHECKPOINT_START_FRAMES = 4000;
/** A WAL frame: a page of 4 KiB and its 24-byte header. */
export const WAL_FRAME_BYTES = 4096 + 24;
/**
 * The serving connection's auto-checkpoint threshold, in pages (32 MB): reached only when the
 * worker is not keeping up (or is gone), it bounds the WAL (give or take what commits while a
 * pass of the worker holds the checkpoint lock). Such a checkpoint is short when the worker is
 * merely behind: it has already copied and synced most of what there is.
 */
export const WAL_FRAMES_LIMIT = 8000;
/** How often the worker looks at the WAL's size: a read of the WAL index, no lock, no I/O wait. */
const POLL_MS = 20;
/**
 * Commits that land while a pass runs keep the worker a step behind, so passes repeat while they
 * find new frames; each one after the first copies only a few. Each of those starts right after a
 * commit (or after QUIET_MS without one), which leaves it the most time to finish before the next.
 */
const MAX_PASSES = 16;
const QUIET_MS = 5;
/** How long close() waits for a pass in progress; a checkpoint of a bounded WAL takes far less. */
const STOP_WAIT_MS = 10_000;
/** Shared between the threads: the worker's connection, and the serving connection's commits. */
const STATE = 0;
const COMMITS = 1;
const STARTING = 0;
const OPEN = 1;
const CLOSED = 2;

export interface Checkpointer {
  /** Called after each commit of the serving connection. */
  committed(): void;
  /** Closes the worker's connection before returning, so the caller's close is the last one. */
  stop(): void;
}

// A script rather than a module file: it runs the same from dist/ and from src/ under tsx and
// vitest, which cannot hand a .ts file to a worker. It only loads the driver the store uses.
const WORKER_SOURCE = `
const fs = require('node:fs');
const { endianness } = require('node:os');
const { parentPort, workerData } = require('node:worker_threads');
const { driver, file, pollMs, startFrames, maxPasses, quietMs, shared } = workerData;
const state = new Int32Array(shared);
let db = null;
let shm = null;
let timer = null;
const finish = () => {
  clearTimeout(timer);
  try {
    if (shm !== null) fs.closeSync(shm);
    if (db && db.open) db.close();
  } finally {
    Atomics.store(state, ${STATE}, ${CLOSED});
    Atomics.notify(state, ${STATE});
    parentPort.close();
  }
};
parentPort.on('message', (message) => {
  if (message === 'stop') finish();
});
let checkpoint;
try {
  // Stopped before it got here: the store closed without waiting for a connection never opened.
  if (Atomics.compareExchange(state, ${STATE}, ${STARTING}, ${OPEN}) !== ${STARTING}) throw new Error('stopped before it started');
  const Database = require(driver);
  db = new Database(file, { fileMustExist: true });
  // NORMAL keeps the checkpoint's syncs (WAL before the copy, database after), which is what
  // makes the copy safe from an OS crash.
  db.pragma('synchronous = NORMAL');
  checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  // Also maps the WAL index, which the polls below read.
  checkpoint.get();
  shm = fs.openSync(file + '-shm', 'r');
} catch (error) {
  const stopped = Atomics.load(state, ${STATE}) === ${CLOSED};
  finish();
  if (!stopped) throw error;
}
// The WAL index header (https://sqlite.org/walformat.html), in the host's byte order: mxFrame,
// the frames in the WAL, at byte 16 of each of its two copies; nBackfill, the frames already
// copied back, at byte 96.
const header = Buffer.alloc(100);
const u32 = endianness() === 'LE' ? (offset) => header.readUInt32LE(offset) : (offset) => header.readUInt32BE(offset);
/** True when the WAL is long enough to copy back and not all copied yet, or cannot be told. */
const due = () => {
  try {
    if (fs.readSync(shm, header, 0, 100, 0) < 100) return true;
  } catch {
    return true;
  }
  const frames = u32(16);
  // A header caught mid-write: the next poll reads it whole.
  if (header[12] !== 1 || frames !== u32(48 + 16)) return false;
  return frames >= startFrames && u32(96) < frames;
};
const copy = () => {
  let previous = -1;
  for (let pass = 0; pass < maxPasses; pass++) {
    if (pass > 0) Atomics.wait(state, ${COMMITS}, Atomics.load(state, ${COMMITS}), quietMs);
    const { log } = checkpoint.get();
    // -1: another connection is checkpointing right now, which does the work.
    if (log < 0) break;
    // Same WAL end as the pass before: nothing was committed meanwhile, everything is copied back
    // and the next commit starts the WAL over. A smaller one: it already has.
    if (log <= previous || log === 0) break;
    previous = log;
  }
};
const poll = () => {
  if (due()) copy();
  timer = setTimeout(poll, pollMs);
};
if (db && db.open) timer = setTimeout(poll, pollMs);
`;

/** `onFailure`: the worker died; the backstop alone bounds the WAL from then on. */
export function startCheckpointer(file: string, onFailure: (error: unknown) => void): Checkpointer {
  const shared = new SharedArrayBuffer(8);
  const state = new Int32Array(shared);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      file,
      pollMs: POLL_MS,
      startFrames: CHECKPOINT_START_FRAMES,
      maxPasses: MAX_PASSES,
      quietMs: QUIET_MS,
      shared,
    },
    // The worker needs little: keep its heap small so it costs no more memory than it must.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  // Checkpoints are housekeeping: they must never keep the process alive.
  worker.unref();
  let stopped = false;
  const fail = (error: unknown) => {
    if (stopped) return;
    stopped = true;
    onFailure(error);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the checkpoint worker exited (code ${code})`)));
  return {
    committed: () => {
      Atomics.add(state, COMMITS, 1);
      Atomics.notify(state, COMMITS);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      // Not started yet (loading the driver takes tens of ms): it will not open a connection now.
      if (Atomics.compareExchange(state, STATE, STARTING, CLOSED) === STARTING) return;
      worker.postMessage('stop');
      // Synchronous, as Store.close is: the worker closes its connection within one pass.
      if (Atomics.wait(state, STATE, OPEN, STOP_WAIT_MS) === 'timed-out') void worker.terminate();
    },
  };
}
