/** Responses API responses kept per owner, read back exactly, deleted by owner or by age. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store, StoredResponse } from '../../../src/store/types.js';
import type { StoreBackend, StoreUnderTest } from './backend.js';

function stored(id: string, owner: string, createdAt: string, text = 'hello'): StoredResponse {
  return {
    id,
    owner,
    createdAt,
    // Key order and spacing as written: the store must not re-encode the JSON.
    response: `{"id":"${id}","object":"response","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"${text}"}]}], "usage":{"total_tokens":3}}`,
    inputItems: `[{"id":"msg_${id}_in0","type":"message","role":"user","content":[{"type":"input_text","text":"ünïcode ✓"}]}]`,
  };
}

export function responseStoreContract(backend: StoreBackend): void {
  describe(`ResponseStore (${backend.name})`, () => {
    let opened: StoreUnderTest;
    let store: Store;
    beforeEach(async () => {
      opened = await backend.open();
      store = opened.store;
    });
    afterEach(() => opened.dispose());

    it('gives back exactly what was kept, to its owner only', async () => {
      const response = stored('resp_a', 'key_1', '2026-11-01T10:00:00.000Z');
      expect(await store.responses.put(response)).toBe(true);
      expect(await store.responses.get('resp_a', 'key_1')).toEqual(response);
      expect(await store.responses.get('resp_a', 'key_2')).toBeUndefined();
      expect(await store.responses.get('resp_b', 'key_1')).toBeUndefined();
    });

    it('is seen by another store over the same data (another process or instance)', async () => {
      const response = stored('resp_shared', 'anonymous', '2026-11-01T10:00:00.000Z');
      await store.responses.put(response);
      const other = await opened.openAnother();
      try {
        expect(await other.responses.get('resp_shared', 'anonymous')).toEqual(response);
      } finally {
        await other.close();
      }
    });

    it("replaces a response under the same id for the same owner, never another owner's", async () => {
      await store.responses.put(stored('resp_same', 'key_1', '2026-11-01T10:00:00.000Z', 'first'));
      const second = stored('resp_same', 'key_1', '2026-11-01T10:05:00.000Z', 'second');
      expect(await store.responses.put(second)).toBe(true);
      expect(await store.responses.get('resp_same', 'key_1')).toEqual(second);

      expect(await store.responses.put(stored('resp_same', 'key_2', '2026-11-01T10:06:00.000Z', 'intruder'))).toBe(false);
      expect(await store.responses.get('resp_same', 'key_1')).toEqual(second);
      expect(await store.responses.get('resp_same', 'key_2')).toBeUndefined();
    });

    it('deletes for its owner only, and says whether one went', async () => {
      await store.responses.put(stored('resp_d', 'key_1', '2026-11-01T10:00:00.000Z'));
      expect(await store.responses.delete('resp_d', 'key_2')).toBe(false);
      expect(await store.responses.get('resp_d', 'key_1')).toBeDefined();
      expect(await store.responses.delete('resp_d', 'key_1')).toBe(true);
      expect(await store.responses.get('resp_d', 'key_1')).toBeUndefined();
      expect(await store.responses.delete('resp_d', 'key_1')).toBe(false);
    });

    it('deletes what was made before a time, and says how many went', async () => {
      await store.responses.put(stored('resp_old', 'key_1', '2026-11-01T09:00:00.000Z'));
      await store.responses.put(stored('resp_edge', 'key_2', '2026-11-01T10:00:00.000Z'));
      await store.responses.put(stored('resp_new', 'key_1', '2026-11-01T11:00:00.000Z'));
      expect(await store.responses.deleteCreatedBefore('2026-11-01T10:00:00.000Z')).toBe(1);
      expect(await store.responses.get('resp_old', 'key_1')).toBeUndefined();
      expect(await store.responses.get('resp_edge', 'key_2')).toBeDefined();
      expect(await store.responses.get('resp_new', 'key_1')).toBeDefined();
      expect(await store.responses.deleteCreatedBefore('2026-11-01T10:00:00.000Z')).toBe(0);
    });
  });
}
