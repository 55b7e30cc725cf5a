import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { hashKey } from '../../../src/store/sqlite/keys.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../../src/store/types.js';

/** Virtual keys in the real SQLite file, as the server and the CLI share it. */
let dataDir: string;
let store: Store;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-keys-'));
  store = openSqliteStore(dataDir);
});
afterEach(() => {
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const hour = 3_600_000;

describe('creating a key', () => {
  it('returns tg_ and 40 base62 characters once, and a record with a 10-character prefix', () => {
    const { key, record } = store.keys.create({ name: 'ci' });
    expect(key).toMatch(/^tg_[0-9A-Za-z]{40}$/);
    expect(record.prefix).toBe(key.slice(0, 10));
    expect(record.id).toMatch(/^key_[0-9A-Za-z]{16}$/);
    expect(record).toMatchObject({ name: 'ci', revokedAt: null, expiresAt: null, user: null, tags: [], budgetUsd: null, budgetPeriod: 'month', models: null, providers: null, rpm: null, tpm: null });
    expect(JSON.stringify(record)).not.toContain(key);
    expect(store.keys.create({ name: 'other' }).key).not.toBe(key);
  });

  it('keeps only the SHA-256 of the key: the key string appears nowhere in the database files', () => {
    const { key } = store.keys.create({ name: 'secret-holder', user: 'alice' });
    store.close();
    const bytes = readdirSync(dataDir).map((file) => readFileSync(join(dataDir, file)).toString('latin1')).join('');
    expect(bytes).not.toContain(key);
    expect(bytes).not.toContain(key.slice(3));
    expect(bytes).toContain(hashKey(key));
    store = openSqliteStore(dataDir);
  });

  it('stores limits: budget as integer nanos (exact), lists as JSON', () => {
    const { record } = store.keys.create({
      name: 'limited',
      user: 'bob',
      tags: ['team-a', 'batch'],
      budgetUsd: 0.3,
      budgetPeriod: 'week',
      models: ['openai/*', 'anthropic/claude-*'],
      providers: ['openai'],
      rpm: 60,
      tpm: 10_000,
      expiresAt: '2999-01-01',
    });
    expect(record).toMatchObject({ user: 'bob', tags: ['team-a', 'batch'], budgetUsd: 0.3, budgetPeriod: 'week', models: ['openai/*', 'anthropic/claude-*'], providers: ['openai'], rpm: 60, tpm: 10_000, expiresAt: '2999-01-01T00:00:00.000Z' });
    const db = new Database(join(dataDir, 'tollgate.db'), { readonly: true });
    const row = db.prepare('SELECT budget_nanos, models, tags FROM keys WHERE id = ?').get(record.id);
    db.close();
    expect(row).toEqual({ budget_nanos: 300_000_000, models: '["openai/*","anthropic/claude-*"]', tags: '["team-a","batch"]' });
  });

  it('refuses a second live key with the same name, and allows the name again once revoked', () => {
    store.keys.create({ name: 'dup' });
    const error = catchError(() => store.keys.create({ name: 'dup' }));
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ kind: 'invalid_request', message: expect.stringContaining('a key named "dup" already exists') });
    store.keys.revoke('dup');
    expect(store.keys.create({ name: 'dup' }).record.name).toBe('dup');
  });
});

describe('finding the key of a request', () => {
  it('finds a live key and nothing for unknown, revoked or expired ones', () => {
    const live = store.keys.create({ name: 'live' });
    expect(store.keys.findByKey(live.key)?.id).toBe(live.record.id);
    expect(store.keys.findByKey(`tg_${'x'.repeat(40)}`)).toBeUndefined();
    expect(store.keys.findByKey('')).toBeUndefined();

    store.keys.revoke(live.record.id);
    expect(store.keys.findByKey(live.key)).toBeUndefined();

    const expiring = store.keys.create({ name: 'expiring', expiresAt: new Date(Date.now() + hour).toISOString() });
    expect(store.keys.findByKey(expiring.key)).toBeDefined();
    expect(store.keys.findByKey(expiring.key, new Date(Date.now() + 2 * hour))).toBeUndefined();
  });

  it('sees a revoke made through another connection to the same file at once (the CLI while a server runs)', () => {
    const { key, record } = store.keys.create({ name: 'shared' });
    expect(store.keys.findByKey(key)).toBeDefined();
    const cli = openSqliteStore(dataDir);
    cli.keys.revoke(record.id);
    cli.close();
    expect(store.keys.findByKey(key)).toBeUndefined();
  });
});

describe('managing keys', () => {
  it('gets by id or by live name; lists live keys, or all with includeRevoked', () => {
    const a = store.keys.create({ name: 'a' }).record;
    const b = store.keys.create({ name: 'b' }).record;
    expect(store.keys.get(a.id)?.name).toBe('a');
    expect(store.keys.get('b')?.id).toBe(b.id);
    expect(store.keys.get('nope')).toBeUndefined();
    store.keys.revoke('a');
    expect(store.keys.get('a')).toBeUndefined();
    expect(store.keys.get(a.id)?.revokedAt).toEqual(expect.any(String));
    expect(store.keys.list().map((key) => key.name)).toEqual(['b']);
    expect(store.keys.list({ includeRevoked: true }).map((key) => key.name)).toEqual(['a', 'b']);
  });

  it('updates only the fields given; null clears a limit', () => {
    const { record } = store.keys.create({ name: 'u', budgetUsd: 5, rpm: 10, tags: ['x'] });
    const updated = store.keys.update('u', { budgetUsd: null, tpm: 500, name: 'renamed' });
    expect(updated).toMatchObject({ id: record.id, name: 'renamed', budgetUsd: null, rpm: 10, tpm: 500, tags: ['x'] });
    expect(updated.updatedAt >= record.updatedAt).toBe(true);
    expect(store.keys.get('renamed')?.id).toBe(record.id);
  });

  it('refuses to update a revoked key, to rename onto a live name, and names what it did not find', () => {
    store.keys.create({ name: 'taken' });
    const { record } = store.keys.create({ name: 'mine' });
    expect(catchError(() => store.keys.update('mine', { name: 'taken' }))).toMatchObject({ kind: 'invalid_request' });
    store.keys.revoke(record.id);
    expect(catchError(() => store.keys.update(record.id, { rpm: 1 }))).toMatchObject({ kind: 'invalid_request', message: expect.stringContaining('revoked') });
    expect(catchError(() => store.keys.revoke('ghost'))).toMatchObject({ kind: 'not_found', message: expect.stringContaining('"ghost"') });
  });

  it('revoking twice keeps the first time', () => {
    const { record } = store.keys.create({ name: 'twice' });
    const first = store.keys.revoke(record.id).revokedAt;
    expect(store.keys.revoke(record.id).revokedAt).toBe(first);
  });

  it('hasActiveKeys: false on a new store, true once a key exists, and still true when every key is revoked', () => {
    expect(store.keys.hasActiveKeys()).toBe(false);
    const { record } = store.keys.create({ name: 'only' });
    expect(store.keys.hasActiveKeys()).toBe(true);
    store.keys.revoke(record.id);
    // Revoking the last key must not turn authentication off again.
    expect(store.keys.hasActiveKeys()).toBe(true);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
