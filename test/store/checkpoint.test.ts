/**
 * WAL checkpoints happen on a worker thread: the WAL reaches the database file while the event
 * loop is busy elsewhere, it stays bounded under a steady stream of commits, and a clean close
 * leaves one intact file with every row.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WAL_FRAMES_LIMIT } from '../../src/store/sqlite/checkpointer.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AttemptRow, RequestRow, Store } from '../../src/store/types.js';

let dir: string;
let store: Store | undefined;
let seq = 0;

function request(): [RequestRow, AttemptRow[]] {
  const id = `r${++seq}`;
  const ts = new Date().toISOString();
  const usage = { input: 10, cacheRead: 0, cacheWrite: 0, output: 20, reasoning: 0 };
  return [
    {
      id, ts, face: 'openai', operation: 'chat', stream: false, keyId: 'k1', keyName: 'ci', user: 'alice', tags: ['t'],
      requestedModel: 'up/m', servedModel: 'up/m', provider: 'up', status: 'ok', errorKind: null, attempts: 1,
      latencyMs: 1, ttftMs: null, usage, costNanos: 30,
    },
    [{ requestId: id, seq: 1, ts, model: 'm', provider: 'up', status: 'ok', errorKind: null, errorMessage: null, upstreamStatus: 200, latencyMs: 1, ttftMs: null, usage, costNanos: 30 }],
  ];
}

/** One commit per request, as when requests come one at a time. */
async function commitOneByOne(target: Store, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    target.ledger.record(...request());
    await target.ledger.whenDurable();
  }
}

const walBytes = () => (existsSync(join(dir, 'tollgate.db-wal')) ? statSync(join(dir, 'tollgate.db-wal')).size : 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function countRows(file: string): { requests: number; attempts: number; integrity: unknown } {
  const db = new Database(file);
  try {
    return {
      requests: (db.prepare('SELECT count(*) AS n FROM requests').get() as { n: number }).n,
      attempts: (db.prepare('SELECT count(*) AS n FROM attempts').get() as { n: number }).n,
      integrity: db.pragma('integrity_check', { simple: true }),
    };
  } finally {
    db.close();
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-checkpoint-'));
});
afterEach(async () => {
  await store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('background WAL checkpoints', () => {
  it('copy the WAL into the database file while the event loop is held', async () => {
    store = openSqliteStore(dir);
    await commitOneByOne(store, 1);
    const file = join(dir, 'tollgate.db');
    // About 6,000 pages in one commit: past where the worker starts, short of the serving
    // connection's own auto-checkpoint, so only the worker can copy them back.
    const bytes = new Uint8Array(24 * 1024 * 1024);
    for (let index = 0; index < bytes.length; index++) bytes[index] = index % 251;
    await store.blobs.put({ id: 'big', mediaType: 'application/octet-stream', bytes }, 'anonymous', new Date().toISOString());
    expect(statSync(file).size).toBeLessThan(bytes.length);
    // Nothing runs on this thread meanwhile: no timer, no commit, no query.
    const held = new Int32Array(new SharedArrayBuffer(4));
    const deadline = Date.now() + 10_000;
    while (statSync(file).size < bytes.length && Date.now() < deadline) Atomics.wait(held, 0, 0, 20);
    expect(statSync(file).size).toBeGreaterThan(bytes.length);
    await store.close();
    store = openSqliteStore(dir);
    const read = await store.blobs.get('big');
    expect(read && Buffer.from(read.bytes).equals(bytes)).toBe(true);
  });

  it('keep the WAL bounded under a steady stream of commits, with every row intact', async () => {
    store = openSqliteStore(dir);
    // About 8 pages per commit: unchecked, the WAL would pass 200 MB.
    const count = 6_000;
    let largest = 0;
    for (let n = 0; n < count; n += 100) {
      await commitOneByOne(store, 100);
      largest = Math.max(largest, walBytes());
    }
    // A WAL frame is a 4 KiB page and a 24-byte header. Commits landing while the worker is in
    // the middle of a pass can take the WAL past the limit, by far less than the limit again.
    expect(largest).toBeLessThan(2 * WAL_FRAMES_LIMIT * (4096 + 24));
    expect(await store.spend.costSince({})).toBe(count * 30);
    await store.close();
    store = undefined;
    // A clean close folds the WAL back into the file.
    expect(existsSync(join(dir, 'tollgate.db-wal'))).toBe(false);
    expect(countRows(join(dir, 'tollgate.db'))).toEqual({ requests: count, attempts: count, integrity: 'ok' });
  }, 60_000);

  it('let the store close at once and open again on the same file', async () => {
    for (let round = 0; round < 3; round++) {
      store = openSqliteStore(dir);
      await commitOneByOne(store, 10);
      await store.close();
      store = undefined;
    }
    expect(countRows(join(dir, 'tollgate.db'))).toEqual({ requests: 30, attempts: 30, integrity: 'ok' });
  });
});
