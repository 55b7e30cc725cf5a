/**
 * Key lookups on the request path, remembered for a moment. Every request presents a key; asking
 * the database each time would put a round trip (PostgreSQL) in front of every answer. A lookup
 * is trusted for `ttlMs`, so a change made elsewhere (the CLI, another instance) is in force
 * within that time; a change made through this store is in force at once. Lookups of one key made
 * while one is on its way share it, so a burst of first requests is one query, not a queue for
 * the connection pool.
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../core/errors.js';
import type { KeyRecord, KeyStore } from './types.js';

export const KEY_LOOKUP_TTL_MS = 250;
/** Past this many remembered lookups (a flood of made-up keys), the oldest half is dropped. */
const MAX_REMEMBERED = 10_000;

interface Lookup {
  record: KeyRecord | undefined;
  at: number;
}

function isStoreOutage(error: unknown): boolean {
  return error instanceof GatewayError && error.kind === 'store_unavailable';
}

export interface CachedKeyStore extends KeyStore {
  /**
   * A key changed elsewhere (PostgreSQL told us; no id when changes may have been missed): drops
   * every remembered lookup and tells the listeners.
   */
  changed(keyId?: string): void;
  /** Hears each key created, changed or revoked through this store, or heard of by `changed`. */
  onChange(listener: KeyChangeListener): void;
}

/** `here`: made through this store; `elsewhere`: heard of (another process or instance). */
export type KeyChangeListener = (keyId: string | undefined, origin: 'here' | 'elsewhere') => void;

export function cacheKeyLookups(keys: KeyStore, ttlMs = KEY_LOOKUP_TTL_MS, now: () => number = Date.now): CachedKeyStore {
  // By digest: the map must not be a list of live keys in the clear.
  const lookups = new Map<string, Lookup>();
  const onTheirWay = new Map<string, Promise<KeyRecord | undefined>>();
  // A lookup that a change overtook answers its waiters but is not remembered.
  let generation = 0;
  let anyKey: { value: boolean; at: number } | undefined;
  const listeners: KeyChangeListener[] = [];
  const changed = (keyId: string | undefined, origin: 'here' | 'elsewhere'): void => {
    generation++;
    lookups.clear();
    onTheirWay.clear();
    for (const listener of listeners) listener(keyId, origin);
  };
  const changedRecord = (record: KeyRecord): KeyRecord => {
    changed(record.id, 'here');
    return record;
  };
  const lookUp = (key: string, digest: string): Promise<KeyRecord | undefined> => {
    const shared = onTheirWay.get(digest);
    if (shared) return shared;
    const startedIn = generation;
    // Looked up without `at`: expiry is checked by each caller, against the time of its request.
    const lookup = keys.findByKey(key, new Date(0)).then(
      (record) => {
        if (onTheirWay.get(digest) === lookup) onTheirWay.delete(digest);
        if (generation === startedIn) {
          if (lookups.size >= MAX_REMEMBERED) [...lookups.keys()].slice(0, MAX_REMEMBERED / 2).forEach((old) => lookups.delete(old));
          lookups.set(digest, { record, at: now() });
        }
        return record;
      },
      (error: unknown) => {
        if (onTheirWay.get(digest) === lookup) onTheirWay.delete(digest);
        throw error;
      },
    );
    onTheirWay.set(digest, lookup);
    return lookup;
  };
  return {
    changed: (keyId) => {
      if (anyKey && !anyKey.value) anyKey = undefined;
      changed(keyId, 'elsewhere');
    },
    onChange: (listener) => void listeners.push(listener),
    create: async (input) => {
      const created = await keys.create(input);
      anyKey = { value: true, at: now() };
      changedRecord(created.record);
      return created;
    },
    list: (options) => keys.list(options),
    get: (idOrName) => keys.get(idOrName),
    findByKey: async (key, at = new Date(now())) => {
      const digest = createHash('sha256').update(key, 'utf8').digest('base64');
      const remembered = lookups.get(digest);
      let record: KeyRecord | undefined;
      if (remembered && now() - remembered.at < ttlMs) {
        record = remembered.record;
      } else {
        try {
          record = await lookUp(key, digest);
        } catch (error) {
          // The database is out of reach: the last answer stands until it is back.
          if (!remembered || !isStoreOutage(error)) throw error;
          record = remembered.record;
        }
      }
      if (record?.expiresAt != null && Date.parse(record.expiresAt) <= at.getTime()) return undefined;
      return record;
    },
    update: async (idOrName, changes) => changedRecord(await keys.update(idOrName, changes)),
    revoke: async (idOrName) => changedRecord(await keys.revoke(idOrName)),
    hasActiveKeys: async () => {
      // Keys are never deleted: once there is one, the answer stays true.
      if (anyKey && (anyKey.value || now() - anyKey.at < ttlMs)) return anyKey.value;
      let value: boolean;
      try {
        value = await keys.hasActiveKeys();
      } catch (error) {
        if (!anyKey || !isStoreOutage(error)) throw error;
        return anyKey.value;
      }
      anyKey = { value, at: now() };
      return value;
    },
  };
}
