/** Images and audio kept by id, with their owner and time, deleted by age. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/types.js';
import type { StoreBackend, StoreUnderTest } from './backend.js';

export function blobStoreContract(backend: StoreBackend): void {
  describe(`BlobStore (${backend.name})`, () => {
    let opened: StoreUnderTest;
    let store: Store;
    beforeEach(async () => {
      opened = await backend.open();
      store = opened.store;
    });
    afterEach(() => opened.dispose());

    it('gives back the exact bytes, type, owner and time; nothing for an unknown id', async () => {
      const bytes = new Uint8Array([0, 1, 2, 255, 254, 137, 80, 78, 71]);
      await store.blobs.put({ id: 'img-1', mediaType: 'image/png', bytes }, 'key:k1', '2026-11-01T10:00:00.000Z');
      expect(await store.blobs.get('img-1')).toEqual({ id: 'img-1', mediaType: 'image/png', bytes, owner: 'key:k1', createdAt: '2026-11-01T10:00:00.000Z' });
      expect(await store.blobs.get('img-2')).toBeUndefined();
    });

    it('deletes what was made before a time, and says how many went', async () => {
      const media = (id: string) => ({ id, mediaType: 'audio/mpeg', bytes: new Uint8Array([1, 2, 3]) });
      await store.blobs.put(media('old'), 'anonymous', '2026-11-01T09:00:00.000Z');
      await store.blobs.put(media('edge'), 'anonymous', '2026-11-01T10:00:00.000Z');
      await store.blobs.put(media('new'), 'anonymous', '2026-11-01T11:00:00.000Z');
      expect(await store.blobs.deleteCreatedBefore('2026-11-01T10:00:00.000Z')).toBe(1);
      expect(await store.blobs.get('old')).toBeUndefined();
      expect(await store.blobs.get('edge')).toBeDefined();
      expect(await store.blobs.deleteCreatedBefore('2026-11-01T10:00:00.000Z')).toBe(0);
    });
  });
}
