/** The ledger writer: rows queued, committed together, durable on demand, never lost to a repeated id. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/types.js';
import type { StoreBackend, StoreUnderTest } from './backend.js';
import { attemptRow, requestRow } from './rows.js';

const all = { kind: 'all' } as const;

export function ledgerWriterContract(backend: StoreBackend): void {
  describe(`LedgerWriter (${backend.name})`, () => {
    let opened: StoreUnderTest;
    let store: Store;
    beforeEach(async () => {
      opened = await backend.open();
      store = opened.store;
    });
    afterEach(() => opened.dispose());

    it('commits a request with its attempts: another store on the same data reads them once settled resolves', async () => {
      store.ledger.record(requestRow({ id: 'w1', ts: '2026-11-01T10:00:00.000Z', attempts: 2, costNanos: 300 }), [
        attemptRow({ requestId: 'w1', seq: 1, status: 'error', errorKind: 'upstream_overloaded', upstreamStatus: 503, usage: null, costNanos: null }),
        attemptRow({ requestId: 'w1', seq: 2, costNanos: 300 }),
      ]);
      await store.ledger.settled();
      const other = await opened.openAnother();
      try {
        const found = await other.reports.getRequest('w1', all);
        expect(found?.request).toMatchObject({ id: 'w1', attempts: 2, costNanos: 300 });
        expect(found?.attempts.map((attempt) => [attempt.seq, attempt.status])).toEqual([
          [1, 'error'],
          [2, 'ok'],
        ]);
      } finally {
        await other.close();
      }
    });

    it('whenDurable is null once every row is committed', async () => {
      expect(store.ledger.whenDurable()).toBeNull();
      store.ledger.record(requestRow({ id: 'w2', ts: '2026-11-01T10:00:00.000Z' }), []);
      await store.ledger.whenDurable();
      expect(store.ledger.whenDurable()).toBeNull();
    });

    it('keeps a request whose id repeats (a client-sent x-request-id) beside the first, with its spend, and the rest of the batch', async () => {
      store.ledger.record(requestRow({ id: 'same', ts: '2026-11-01T10:00:00.000Z', costNanos: 100 }), []);
      store.ledger.record(requestRow({ id: 'same', ts: '2026-11-01T10:00:01.000Z', costNanos: 250 }), [attemptRow({ requestId: 'same', seq: 1, costNanos: 250 })]);
      store.ledger.record(requestRow({ id: 'other', ts: '2026-11-01T10:00:02.000Z', costNanos: 1 }), []);
      const page = await store.reports.listRequests({ limit: 10 }, all);
      expect(page.requests.map((request) => request.costNanos)).toEqual([1, 250, 100]);
      expect(page.requests[1]!.id).toMatch(/^same./);
      expect((await store.reports.report({}, all))[0]).toMatchObject({ request_count: 3 });
    });

    it('counts refusals per minute, caller, user and kind, keeping the latest key name', async () => {
      const refuse = (ts: string, keyName: string) => store.ledger.countRefusal({ ts, keyId: 'k1', keyName, user: 'alice', kind: 'rate_limited' });
      refuse('2026-11-01T10:00:01.000Z', 'old-name');
      refuse('2026-11-01T10:00:59.000Z', 'new-name');
      refuse('2026-11-01T10:01:00.000Z', 'new-name');
      store.ledger.countRefusal({ ts: '2026-11-01T10:00:30.000Z', keyId: null, keyName: null, user: null, kind: 'unauthorized' });
      await store.ledger.whenDurable();
      // A second batch adds to the counters of the first.
      refuse('2026-11-01T10:00:30.000Z', 'new-name');
      expect(await store.reports.listRefusals()).toEqual([
        { minute: '2026-11-01T10:00', keyId: null, keyName: null, user: null, kind: 'unauthorized', count: 1 },
        { minute: '2026-11-01T10:00', keyId: 'k1', keyName: 'new-name', user: 'alice', kind: 'rate_limited', count: 3 },
        { minute: '2026-11-01T10:01', keyId: 'k1', keyName: 'new-name', user: 'alice', kind: 'rate_limited', count: 1 },
      ]);
    });

    it('commits what is queued on close', async () => {
      store.ledger.record(requestRow({ id: 'last', ts: '2026-11-01T10:00:00.000Z' }), []);
      await store.close();
      const other = await opened.openAnother();
      try {
        expect((await other.reports.getRequest('last', all))?.request.id).toBe('last');
      } finally {
        await other.close();
      }
    });
  });
}
