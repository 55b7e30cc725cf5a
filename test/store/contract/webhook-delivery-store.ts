/** Webhook deliveries: one row per event and endpoint, its attempts and where it stands. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/types.js';
import type { StoreBackend, StoreUnderTest } from './backend.js';

export function webhookDeliveryStoreContract(backend: StoreBackend): void {
  describe(`WebhookDeliveryStore (${backend.name})`, () => {
    let opened: StoreUnderTest;
    let store: Store;
    beforeEach(async () => {
      opened = await backend.open();
      store = opened.store;
    });
    afterEach(() => opened.dispose());

    const pending = (id: string, ts: string) => ({ id, ts, url: 'https://hooks.example/in', eventType: 'key.created', payload: `{"id":"${id}"}` });

    it('records a delivery pending, then each attempt, then delivered', async () => {
      await store.webhooks.insertPending(pending('msg_1', '2026-11-01T10:00:00.000Z'));
      expect(await store.webhooks.listRecent()).toEqual([
        { ...pending('msg_1', '2026-11-01T10:00:00.000Z'), status: 'pending', attempts: 0, lastStatus: null, lastError: null, deliveredAt: null },
      ]);
      await store.webhooks.recordAttempt('msg_1', { status: 'pending', httpStatus: 503, error: 'HTTP 503', at: '2026-11-01T10:00:01.000Z' });
      await store.webhooks.recordAttempt('msg_1', { status: 'delivered', httpStatus: 204, error: null, at: '2026-11-01T10:00:03.000Z' });
      expect(await store.webhooks.listRecent()).toMatchObject([{ id: 'msg_1', status: 'delivered', attempts: 2, lastStatus: 204, lastError: null, deliveredAt: '2026-11-01T10:00:03.000Z' }]);
    });

    it('marks a delivery failed with the reason, lists newest first, by status, up to a limit', async () => {
      await store.webhooks.insertPending(pending('msg_a', '2026-11-01T10:00:00.000Z'));
      await store.webhooks.insertPending(pending('msg_b', '2026-11-01T11:00:00.000Z'));
      await store.webhooks.insertPending(pending('msg_c', '2026-11-01T12:00:00.000Z'));
      await store.webhooks.markFailed('msg_b', 'not sent: delivery queue full (1 pending)');
      expect((await store.webhooks.listRecent()).map((row) => row.id)).toEqual(['msg_c', 'msg_b', 'msg_a']);
      expect(await store.webhooks.listRecent({ status: 'failed' })).toMatchObject([{ id: 'msg_b', attempts: 0, lastError: 'not sent: delivery queue full (1 pending)' }]);
      expect((await store.webhooks.listRecent({ limit: 1 })).map((row) => row.id)).toEqual(['msg_c']);
    });
  });
}
