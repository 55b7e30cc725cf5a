/** The key store: keys shown once, found by the key, managed by id or live name. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { KEY_LOOKUP_TTL_MS } from '../../../src/store/cached-keys.js';
import type { Store } from '../../../src/store/types.js';
import type { StoreBackend, StoreUnderTest } from './backend.js';

const hour = 3_600_000;

export function keyStoreContract(backend: StoreBackend): void {
  describe(`KeyStore (${backend.name})`, () => {
    let opened: StoreUnderTest;
    let store: Store;
    let now = 1_000_000;

    beforeEach(async () => {
      opened = await backend.open({ now: () => now });
      store = opened.store;
    });
    afterEach(() => opened.dispose());

    it('returns tg_ and 40 base62 characters once, and a record with a 10-character prefix', async () => {
      const { key, record } = await store.keys.create({ name: 'ci' });
      expect(key).toMatch(/^tg_[0-9A-Za-z]{40}$/);
      expect(record.prefix).toBe(key.slice(0, 10));
      expect(record.id).toMatch(/^key_[0-9A-Za-z]{16}$/);
      expect(record).toMatchObject({ name: 'ci', revokedAt: null, expiresAt: null, user: null, tags: [], budgetUsd: null, budgetPeriod: 'month', models: null, providers: null, rpm: null, tpm: null, allowUserOverride: false });
      expect(JSON.stringify(record)).not.toContain(key);
      expect((await store.keys.create({ name: 'other' })).key).not.toBe(key);
    });

    it('keeps limits exactly as given', async () => {
      const { record } = await store.keys.create({
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
        allowUserOverride: true,
      });
      const expected = { user: 'bob', tags: ['team-a', 'batch'], budgetUsd: 0.3, budgetPeriod: 'week', models: ['openai/*', 'anthropic/claude-*'], providers: ['openai'], rpm: 60, tpm: 10_000, expiresAt: '2999-01-01T00:00:00.000Z', allowUserOverride: true };
      expect(record).toMatchObject(expected);
      const other = await opened.openAnother();
      try {
        expect(await other.keys.get(record.id)).toEqual(record);
      } finally {
        await other.close();
      }
    });

    it('refuses a second live key with the same name, and allows the name again once revoked', async () => {
      await store.keys.create({ name: 'dup' });
      const error = await store.keys.create({ name: 'dup' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toMatchObject({ kind: 'invalid_request', message: expect.stringContaining('a key named "dup" already exists') });
      await store.keys.revoke('dup');
      expect((await store.keys.create({ name: 'dup' })).record.name).toBe('dup');
    });

    it('finds a live key and nothing for unknown, revoked or expired ones', async () => {
      const live = await store.keys.create({ name: 'live' });
      expect((await store.keys.findByKey(live.key))?.id).toBe(live.record.id);
      expect(await store.keys.findByKey(`tg_${'x'.repeat(40)}`)).toBeUndefined();
      expect(await store.keys.findByKey('')).toBeUndefined();

      await store.keys.revoke(live.record.id);
      expect(await store.keys.findByKey(live.key)).toBeUndefined();

      const expiring = await store.keys.create({ name: 'expiring', expiresAt: new Date(Date.now() + hour).toISOString() });
      expect(await store.keys.findByKey(expiring.key)).toBeDefined();
      expect(await store.keys.findByKey(expiring.key, new Date(Date.now() + 2 * hour))).toBeUndefined();
    });

    it('sees a change made through another store (the CLI, another instance) once its lookups are older than the cache time', async () => {
      const { key, record } = await store.keys.create({ name: 'shared', rpm: 5 });
      expect(await store.keys.findByKey(key)).toMatchObject({ rpm: 5 });
      const other = await opened.openAnother();
      try {
        await other.keys.update(record.id, { rpm: 7 });
        now += KEY_LOOKUP_TTL_MS;
        expect(await store.keys.findByKey(key)).toMatchObject({ rpm: 7 });
        await other.keys.revoke(record.id);
        now += KEY_LOOKUP_TTL_MS;
        expect(await store.keys.findByKey(key)).toBeUndefined();
        const made = await other.keys.create({ name: 'made-elsewhere' });
        expect((await store.keys.findByKey(made.key))?.id).toBe(made.record.id);
      } finally {
        await other.close();
      }
    });

    it('sees its own changes at once', async () => {
      const { key, record } = await store.keys.create({ name: 'mine', rpm: 5 });
      expect(await store.keys.findByKey(key)).toMatchObject({ rpm: 5 });
      await store.keys.update(record.id, { rpm: 9 });
      expect(await store.keys.findByKey(key)).toMatchObject({ rpm: 9 });
      await store.keys.revoke(record.id);
      expect(await store.keys.findByKey(key)).toBeUndefined();
    });

    it('gets by id or by live name; lists live keys, or all with includeRevoked', async () => {
      const a = (await store.keys.create({ name: 'a' })).record;
      const b = (await store.keys.create({ name: 'b' })).record;
      expect((await store.keys.get(a.id))?.name).toBe('a');
      expect((await store.keys.get('b'))?.id).toBe(b.id);
      expect(await store.keys.get('nope')).toBeUndefined();
      await store.keys.revoke('a');
      expect(await store.keys.get('a')).toBeUndefined();
      expect((await store.keys.get(a.id))?.revokedAt).toEqual(expect.any(String));
      expect((await store.keys.list()).map((key) => key.name)).toEqual(['b']);
      expect((await store.keys.list({ includeRevoked: true })).map((key) => key.name)).toEqual(['a', 'b']);
    });

    it('updates only the fields given; null clears a limit', async () => {
      const { record } = await store.keys.create({ name: 'u', budgetUsd: 5, rpm: 10, tags: ['x'] });
      const updated = await store.keys.update('u', { budgetUsd: null, tpm: 500, name: 'renamed' });
      expect(updated).toMatchObject({ id: record.id, name: 'renamed', budgetUsd: null, rpm: 10, tpm: 500, tags: ['x'] });
      expect(updated.updatedAt >= record.updatedAt).toBe(true);
      expect((await store.keys.get('renamed'))?.id).toBe(record.id);
    });

    it('refuses to update a revoked key, to rename onto a live name, and names what it did not find', async () => {
      await store.keys.create({ name: 'taken' });
      const { record } = await store.keys.create({ name: 'mine' });
      const failure = (attempt: Promise<unknown>) => attempt.then(() => expect.fail('expected an error'), (error: unknown) => error);
      expect(await failure(store.keys.update('mine', { name: 'taken' }))).toMatchObject({ kind: 'invalid_request' });
      await store.keys.revoke(record.id);
      expect(await failure(store.keys.update(record.id, { rpm: 1 }))).toMatchObject({ kind: 'invalid_request', message: expect.stringContaining('revoked') });
      expect(await failure(store.keys.revoke('ghost'))).toMatchObject({ kind: 'not_found', message: expect.stringContaining('"ghost"') });
    });

    it('revoking twice keeps the first time', async () => {
      const { record } = await store.keys.create({ name: 'twice' });
      const first = (await store.keys.revoke(record.id)).revokedAt;
      expect((await store.keys.revoke(record.id)).revokedAt).toBe(first);
    });

    it('hasActiveKeys: false on a new store, true once a key exists, and still true when every key is revoked', async () => {
      expect(await store.keys.hasActiveKeys()).toBe(false);
      const { record } = await store.keys.create({ name: 'only' });
      expect(await store.keys.hasActiveKeys()).toBe(true);
      await store.keys.revoke(record.id);
      // Revoking the last key must not turn authentication off again.
      expect(await store.keys.hasActiveKeys()).toBe(true);
    });
  });
}
