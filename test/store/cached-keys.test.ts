/** Remembered key lookups: a burst of requests with one key asks the key table once. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheKeyLookups } from '../../src/store/cached-keys.js';
import { LEDGER_FILE } from '../../src/config/data-home.js';
import { sqliteKeyStore } from '../../src/store/sqlite/keys.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { KeyRecord, KeyStore, Store } from '../../src/store/types.js';

/** The real key table, each answer read at once and held until the test lets it through. */
function heldLookups(keys: KeyStore) {
  const held: Array<() => void> = [];
  let asked = 0;
  const store: KeyStore = {
    ...keys,
    findByKey: async (key, at) => {
      asked++;
      const answer = await keys.findByKey(key, at);
      await new Promise<void>((release) => held.push(release));
      return answer;
    },
  };
  return {
    store,
    asked: () => asked,
    releaseLast: () => held.pop()?.(),
    releaseAll: () => held.splice(0).forEach((release) => release()),
  };
}

/** Lets the held lookups that were asked for reach their hold. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('cached key lookups', () => {
  let dir: string;
  let owner: Store;
  let db: Database.Database;
  let now = 1_000_000;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-keys-'));
    owner = openSqliteStore(dir, { now: () => now });
    db = new Database(join(dir, LEDGER_FILE));
  });
  afterEach(async () => {
    db.close();
    await owner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 50 concurrent first lookups of one key with one query', async () => {
    const { key, record } = await owner.keys.create({ name: 'burst' });
    const table = heldLookups(sqliteKeyStore(db));
    const cached = cacheKeyLookups(table.store, 250, () => now);
    const answers = Array.from({ length: 50 }, () => cached.findByKey(key));
    await settle();
    expect(table.asked()).toBe(1);
    table.releaseAll();
    const found = await Promise.all(answers);
    expect(found.map((one: KeyRecord | undefined) => one?.id)).toEqual(Array(50).fill(record.id));
    expect(await cached.findByKey(key)).toMatchObject({ id: record.id });
    expect(table.asked()).toBe(1);
  });

  it('does not remember a lookup that a change overtook', async () => {
    const { key, record } = await owner.keys.create({ name: 'overtaken', rpm: 5 });
    const table = heldLookups(sqliteKeyStore(db));
    const cached = cacheKeyLookups(table.store, 250, () => now);
    const stale = cached.findByKey(key);
    await settle();
    await owner.keys.update(record.id, { rpm: 9 });
    cached.changed(record.id);
    const fresh = cached.findByKey(key);
    await settle();
    expect(table.asked()).toBe(2);
    table.releaseLast();
    expect(await fresh).toMatchObject({ rpm: 9 });
    table.releaseAll();
    expect(await stale).toMatchObject({ rpm: 5 });
    expect(await cached.findByKey(key)).toMatchObject({ rpm: 9 });
    expect(table.asked()).toBe(2);
  });

  it('hands a failed lookup to every waiter and does not keep the failure', async () => {
    const { key, record } = await owner.keys.create({ name: 'failing' });
    let fail = true;
    const table = sqliteKeyStore(db);
    const cached = cacheKeyLookups(
      {
        ...table,
        findByKey: async (presented, at) => {
          if (fail) throw new Error('connection reset');
          return table.findByKey(presented, at);
        },
      },
      250,
      () => now,
    );
    const results = await Promise.allSettled([cached.findByKey(key), cached.findByKey(key)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await cached.findByKey(key)).toMatchObject({ id: record.id });
  });
});
