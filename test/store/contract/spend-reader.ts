/** What budgets start from: exact sums of known costs, by key, user, tag and time. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/types.js';
import type { StoreBackend, StoreUnderTest } from './backend.js';
import { requestRow } from './rows.js';

export function spendReaderContract(backend: StoreBackend): void {
  describe(`SpendReader (${backend.name})`, () => {
    let opened: StoreUnderTest;
    let store: Store;
    beforeAll(async () => {
      opened = await backend.open();
      store = opened.store;
      store.ledger.record(requestRow({ id: 's1', ts: '2026-11-01T09:00:00.000Z', keyId: 'k1', user: 'alice', tags: ['a', 'b'], costNanos: 100_000_000 }), []);
      store.ledger.record(requestRow({ id: 's2', ts: '2026-11-01T10:00:00.000Z', keyId: 'k1', user: 'bob', tags: ['b'], costNanos: 200_000_000 }), []);
      store.ledger.record(requestRow({ id: 's3', ts: '2026-11-02T00:00:00.000Z', keyId: 'k2', user: 'alice', costNanos: 7 }), []);
      // Unknown price: not spend.
      store.ledger.record(requestRow({ id: 's4', ts: '2026-11-02T01:00:00.000Z', keyId: 'k1', costNanos: null }), []);
    });
    afterAll(() => opened.dispose());

    it('sums every known cost, exactly, in nanos', async () => {
      expect(await store.spend.costSince({})).toBe(300_000_007);
    });

    it('narrows by key, user, tag and time (at or after), together', async () => {
      expect(await store.spend.costSince({ keyId: 'k1' })).toBe(300_000_000);
      expect(await store.spend.costSince({ user: 'alice' })).toBe(100_000_007);
      expect(await store.spend.costSince({ tag: 'b' })).toBe(300_000_000);
      expect(await store.spend.costSince({ tag: 'a' })).toBe(100_000_000);
      expect(await store.spend.costSince({ since: '2026-11-01T10:00:00.000Z' })).toBe(200_000_007);
      expect(await store.spend.costSince({ keyId: 'k1', since: '2026-11-01T09:30:00.000Z' })).toBe(200_000_000);
      expect(await store.spend.costSince({ keyId: 'nobody' })).toBe(0);
    });

    it('sees a row recorded a moment ago', async () => {
      store.ledger.record(requestRow({ id: 's5', ts: '2026-11-03T00:00:00.000Z', keyId: 'k3', costNanos: 42 }), []);
      expect(await store.spend.costSince({ keyId: 'k3' })).toBe(42);
    });
  });
}
