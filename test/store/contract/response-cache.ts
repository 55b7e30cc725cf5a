import { describe, expect, it } from 'vitest';
import type { ResponseCacheStore } from '../../../src/store/response-cache.js';

export interface ResponseCacheBackend {
  /** A fresh, empty cache holding at most `maxEntries` (a backend without a count cap ignores it). */
  open(maxEntries: number): Promise<ResponseCacheStore>;
  /** Whether it caps the number of entries itself (SQLite); Redis leaves that to its memory policy. */
  capsEntries: boolean;
}

/** What every response-cache backend does, on the gateway's clock. */
export function responseCacheContract(name: string, backend: ResponseCacheBackend, enabled = true): void {
  describe.runIf(enabled)(`response cache contract: ${name}`, () => {
    const t0 = Date.UTC(2026, 5, 1);

    it('answers what was put, until it expires', async () => {
      const cache = await backend.open(100);
      try {
        expect(await cache.get('a', t0)).toBeUndefined();
        await cache.put('a', '{"text":"héllo"}', t0 + 1_000, t0);
        expect(await cache.get('a', t0 + 999)).toBe('{"text":"héllo"}');
        expect(await cache.get('a', t0 + 1_000)).toBeUndefined();
      } finally {
        await cache.close();
      }
    });

    it('replaces a value put again under the same key, with its new expiry', async () => {
      const cache = await backend.open(100);
      try {
        await cache.put('k', 'one', t0 + 1_000, t0);
        await cache.put('k', 'two', t0 + 5_000, t0 + 10);
        expect(await cache.get('k', t0 + 2_000)).toBe('two');
      } finally {
        await cache.close();
      }
    });

    it('keeps keys apart', async () => {
      const cache = await backend.open(100);
      try {
        await cache.put('scope-a:req', 'for a', t0 + 1_000, t0);
        await cache.put('scope-b:req', 'for b', t0 + 1_000, t0);
        expect(await cache.get('scope-a:req', t0)).toBe('for a');
        expect(await cache.get('scope-b:req', t0)).toBe('for b');
        expect(await cache.get('scope-c:req', t0)).toBeUndefined();
      } finally {
        await cache.close();
      }
    });

    it('collects expired entries on a sweep and keeps live ones', async () => {
      const cache = await backend.open(100);
      try {
        await cache.put('old', 'x', t0 + 100, t0);
        await cache.put('new', 'y', t0 + 10_000, t0);
        const gone = await cache.sweep(t0 + 200);
        expect(gone).toBe(backend.capsEntries ? 1 : 0);
        expect(await cache.get('new', t0 + 200)).toBe('y');
        expect(await cache.get('old', t0 + 200)).toBeUndefined();
      } finally {
        await cache.close();
      }
    });

    it.runIf(backend.capsEntries)('holds at most maxEntries, dropping those closest to expiry first', async () => {
      const cache = await backend.open(3);
      try {
        for (let index = 0; index < 5; index++) await cache.put(`k${index}`, `v${index}`, t0 + 1_000 * (index + 1), t0);
        const kept = await Promise.all([0, 1, 2, 3, 4].map((index) => cache.get(`k${index}`, t0)));
        expect(kept).toEqual([undefined, undefined, 'v2', 'v3', 'v4']);
      } finally {
        await cache.close();
      }
    });
  });
}
