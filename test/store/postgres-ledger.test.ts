/**
 * The PostgreSQL store's own promises, beyond the contract every store keeps: migrations that
 * instances starting together do not race, batches that are never applied twice, the spool that
 * keeps every row while PostgreSQL is cut off (a TCP proxy in front of the machine's server),
 * and key changes heard by every instance.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyBatches, newBatch } from '../../src/store/postgres/ledger-batch.js';
import { SCHEMA_VERSION } from '../../src/store/postgres/migrations.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { RequestRow } from '../../src/store/types.js';
import { createTestDatabase, PG_HOST, PG_PORT, postgresAvailable, type TestDatabase } from '../support/postgres.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

let seq = 0;
function row(fields: Partial<RequestRow> = {}): RequestRow {
  return {
    id: `req_${++seq}`,
    ts: new Date(Date.UTC(2026, 10, 1, 0, 0, seq)).toISOString(),
    face: 'openai',
    operation: 'chat',
    stream: false,
    keyId: 'k1',
    keyName: 'ci',
    user: null,
    tags: [],
    requestedModel: 'mock/echo',
    servedModel: 'mock/echo',
    provider: 'mock',
    status: 'ok',
    errorKind: null,
    attempts: 1,
    latencyMs: 5,
    ttftMs: null,
    usage: { input: 10, cacheRead: 0, cacheWrite: 0, output: 20, reasoning: 0 },
    costNanos: 1_000,
    ...fields,
  };
}

function attemptOf(request: RequestRow) {
  return [{
    requestId: request.id, seq: 1, ts: request.ts, model: 'echo', provider: 'mock', status: 'ok' as const, errorKind: null,
    errorMessage: null, upstreamStatus: 200, latencyMs: 4, ttftMs: null, usage: request.usage, costNanos: request.costNanos,
  }];
}

describe.skipIf(!postgresAvailable)(`PostgreSQL store${postgresAvailable ? '' : ' (skipped: no PostgreSQL on 127.0.0.1:5432)'}`, () => {
  let db: TestDatabase;
  const dirs: string[] = [];
  const opened: PostgresStore[] = [];
  const open = (url = db.url(), dataDir = newDir()) => {
    const store = openPostgresStore({ url, dataDir, onWriteError: (error) => { throw error; } });
    opened.push(store);
    return store;
  };
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-pg-'));
    dirs.push(dir);
    return dir;
  };
  const count = async (store: PostgresStore, sql: string, values: unknown[] = []) => Number((await store.pool.query<{ n: string }>(sql, values)).rows[0]!.n);

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    await db?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the migrations once when several instances start on a new database at the same moment', async () => {
    const fresh = await createTestDatabase();
    try {
      const stores = [open(fresh.url()), open(fresh.url()), open(fresh.url()), open(fresh.url())];
      await Promise.all(stores.map((store) => store.ready()));
      // One row per migration, each applied once.
      expect(await count(stores[0]!, 'SELECT count(*) AS n FROM tollgate_migrations')).toBe(SCHEMA_VERSION);
      expect(await count(stores[0]!, 'SELECT count(DISTINCT version) AS n FROM tollgate_migrations')).toBe(SCHEMA_VERSION);
      await Promise.all(opened.splice(0).map((store) => store.close()));
    } finally {
      await fresh.drop();
    }
  });

  it('writes batches of requests with their attempts in one statement, and never applies a batch twice', async () => {
    const store = open();
    await store.ready();
    const rows = [row(), row(), row()];
    const refused = (count: number, keyName: string) => ({ refusal: { ts: rows[0]!.ts, keyId: 'k1', keyName, user: null, kind: 'insufficient_budget' as const }, count });
    const batch = newBatch(rows.slice(0, 2).map((r) => [r, attemptOf(r)]), [refused(3, 'ci')]);
    expect(await applyBatches(store.pool, [batch])).toBe(1);
    // The same batch again, as after a commit whose acknowledgment was lost, with one sent for the first time.
    const next = newBatch([[rows[2]!, attemptOf(rows[2]!)]], [refused(2, 'renamed')]);
    expect(await applyBatches(store.pool, [batch, next])).toBe(1);
    expect(await applyBatches(store.pool, [batch, next])).toBe(0);
    const ids = rows.map((r) => r.id);
    expect(await count(store, 'SELECT count(*) AS n FROM requests WHERE id = ANY($1)', [ids])).toBe(3);
    expect(await count(store, 'SELECT count(*) AS n FROM attempts WHERE request_id = ANY($1)', [ids])).toBe(3);
    expect(await count(store, `SELECT sum(count) AS n FROM refusals WHERE key_id = 'k1'`)).toBe(5);
  });

  it('sums the refusal counters of several batches sent in one statement, keeping the latest key name', async () => {
    const store = open();
    await store.ready();
    const refused = (count: number, keyName: string) => ({ refusal: { ts: '2026-11-02T00:00:00.000Z', keyId: 'k-sum', keyName, user: null, kind: 'rate_limited' as const }, count });
    expect(await applyBatches(store.pool, [newBatch([], [refused(1, 'old')]), newBatch([], [refused(4, 'new')])])).toBe(2);
    const { rows } = await store.pool.query<{ count: number; key_name: string }>(`SELECT count, key_name FROM refusals WHERE key_id = 'k-sum'`);
    expect(rows).toEqual([{ count: 5, key_name: 'new' }]);
  });

  it('ends answers once their rows are synced to the spool, ships them to PostgreSQL behind, and keeps no spool file after close', async () => {
    const dataDir = newDir();
    const store = open(db.url(), dataDir);
    await store.ready();
    const rows = Array.from({ length: 3 }, () => row({ keyId: 'shipped' }));
    for (const request of rows) store.ledger.record(request, attemptOf(request));
    await store.ledger.whenDurable();
    const files = readdirSync(join(dataDir, 'ledger-spool')).filter((name) => name.endsWith('.jsonl'));
    expect(files).toHaveLength(1);
    await store.ledger.settled();
    expect(store.health()).toEqual({ ledger: 'ok', spooled: 0 });
    expect(await count(store, 'SELECT count(*) AS n FROM requests WHERE id = ANY($1)', [rows.map((r) => r.id)])).toBe(3);
    await store.close();
    expect(readdirSync(join(dataDir, 'ledger-spool'))).toEqual([]);
  });

  it('keeps its spool file while it is short, and starts a new one once the drained file has grown long', async () => {
    const dataDir = newDir();
    const store = open(db.url(), dataDir);
    await store.ready();
    const spoolFiles = () => readdirSync(join(dataDir, 'ledger-spool')).filter((name) => name.endsWith('.jsonl'));
    const seen = new Set<string>();
    for (let round = 0; round < 100; round++) {
      const request = row({ keyId: 'rotate', tags: ['x'.repeat(1_000)] });
      store.ledger.record(request, attemptOf(request));
      await store.ledger.settled();
      for (const name of spoolFiles()) seen.add(name);
      expect(spoolFiles().length).toBeLessThanOrEqual(1);
    }
    // Over 1 KB a batch: 100 batches fill more than one 64 KiB file, and fewer than ten.
    expect(seen.size).toBeGreaterThanOrEqual(2);
    expect(seen.size).toBeLessThan(10);
    expect(await store.spend.costSince({ keyId: 'rotate' })).toBe(100_000);
  });

  it('keeps a request whose id repeats (a client reusing x-request-id) under a suffixed id, with its attempts', async () => {
    const store = open();
    const first = row({ id: 'client-chosen' });
    const again = row({ id: 'client-chosen', costNanos: 7 });
    const third = row({ id: 'client-chosen', costNanos: 9 });
    store.ledger.record(first, attemptOf(first));
    await store.ledger.whenDurable();
    store.ledger.record(again, attemptOf(again));
    store.ledger.record(third, attemptOf(third));
    const page = await store.reports.listRequests({ limit: 10 }, { kind: 'all' });
    const kept = page.requests.filter((r) => r.id.startsWith('client-chosen'));
    expect(kept.map((r) => r.costNanos).sort()).toEqual([1_000, 7, 9]);
    expect(kept.filter((r) => r.id === 'client-chosen')).toHaveLength(1);
    for (const request of kept) {
      const found = await store.reports.getRequest(request.id, { kind: 'all' });
      expect(found?.attempts).toHaveLength(1);
    }
  });

  it('spools the rows while PostgreSQL is cut off, reports it degraded, and drains them in order, each once', async () => {
    const proxy = await startTcpProxy({ host: PG_HOST, port: PG_PORT });
    try {
      const dataDir = newDir();
      const store = open(db.url(proxy.port), dataDir);
      await store.ready();
      const before = row();
      store.ledger.record(before, attemptOf(before));
      await store.ledger.settled();
      expect(store.health()).toEqual({ ledger: 'ok', spooled: 0 });

      await proxy.cut();
      const during = Array.from({ length: 25 }, () => row({ keyId: 'cut' }));
      for (const request of during.slice(0, 10)) store.ledger.record(request, attemptOf(request));
      await store.ledger.whenDurable();
      for (const request of during.slice(10)) store.ledger.record(request, attemptOf(request));
      // Durable means on disk in the spool: the answers holding these rows may end now.
      await store.ledger.whenDurable();
      // Shipping them fails: the ledger says so, and keeps them.
      await store.ledger.settled();
      expect(store.health()).toEqual({ ledger: 'degraded', spooled: 25 });
      expect(readdirSync(join(dataDir, 'ledger-spool')).filter((name) => name.endsWith('.jsonl'))).toHaveLength(1);

      await proxy.restore();
      await store.ledger.drainSpool();
      expect(store.health()).toEqual({ ledger: 'ok', spooled: 0 });
      const ids = during.map((r) => r.id);
      expect(await count(store, 'SELECT count(*) AS n FROM requests WHERE id = ANY($1)', [ids])).toBe(25);
      expect(await count(store, 'SELECT count(*) AS n FROM attempts WHERE request_id = ANY($1)', [ids])).toBe(25);
      expect(await store.spend.costSince({ keyId: 'cut' })).toBe(25_000);
    } finally {
      await proxy.close();
    }
  });

  it('sends what a process left in its spool when the next one opens the data folder', async () => {
    const proxy = await startTcpProxy({ host: PG_HOST, port: PG_PORT });
    const dataDir = newDir();
    const rows = Array.from({ length: 5 }, () => row({ keyId: 'orphan' }));
    try {
      const first = open(db.url(proxy.port), dataDir);
      await first.ready();
      await proxy.cut();
      for (const request of rows) first.ledger.record(request, attemptOf(request));
      await first.ledger.settled();
      expect(first.health()).toEqual({ ledger: 'degraded', spooled: 5 });
    } finally {
      await proxy.close();
    }
    // The first process ends (its close cannot reach PostgreSQL) with its rows still spooled.
    await Promise.all(opened.splice(0).map((store) => store.close()));
    const next = open(db.url(), dataDir);
    await next.ready();
    expect(next.health()).toEqual({ ledger: 'ok', spooled: 0 });
    expect(await next.spend.costSince({ keyId: 'orphan' })).toBe(5_000);
    expect(readdirSync(join(dataDir, 'ledger-spool'))).toEqual([]);
  });

  it('tells every instance of a key revoked on one of them, which then refuses it', async () => {
    const a = open();
    const b = open();
    await Promise.all([a.ready(), b.ready()]);
    const { key, record } = await a.keys.create({ name: `shared-${seq++}` });
    // B looks the key up (and keeps it), then A revokes it.
    expect((await b.keys.findByKey(key))?.id).toBe(record.id);
    const heard = b.keysChanged();
    await a.keys.revoke(record.id);
    await heard;
    expect(await b.keys.findByKey(key)).toBeUndefined();
  });
});
