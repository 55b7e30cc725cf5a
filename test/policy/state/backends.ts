/**
 * The policy state backends every contract suite runs on. A backend hands out "instances":
 * handles on one shared state, as separate gateway processes would hold them. In memory that is
 * one object (one process); in Redis each instance has its own client, all under one key prefix
 * that is this run's alone.
 */
import { describe } from 'vitest';
import { createMemoryState } from '../../../src/policy/state/memory/index.js';
import { createRedisState } from '../../../src/policy/state/redis/index.js';
import type { PolicyState } from '../../../src/policy/state/types.js';
import { deletePrefix, REDIS_URL, redisAvailable, testPrefix } from '../../support/redis.js';

export const HOLD_TTL_MS = 600_000;

export interface Backend {
  readonly name: 'memory' | 'redis';
  /** Another handle on the same state. */
  instance(): PolicyState;
  /** Empties the state, as a Redis flush (or a restart of the one process) would. */
  wipe(): Promise<void>;
  /** Closes every handle and deletes what the run stored. */
  close(): Promise<void>;
}

export function memoryBackend(options: { idempotencyMaxBytes?: number } = {}): Backend {
  const fresh = () => createMemoryState({ holdTtlMs: HOLD_TTL_MS, idempotencyMaxBytes: options.idempotencyMaxBytes ?? 64 * 1024 * 1024 });
  let state = fresh();
  return {
    name: 'memory',
    instance: () => state,
    wipe: async () => {
      state = fresh();
    },
    close: async () => undefined,
  };
}

export function redisBackend(): Backend {
  const prefix = testPrefix();
  const opened: PolicyState[] = [];
  return {
    name: 'redis',
    instance: () => {
      const state = createRedisState({ url: REDIS_URL, keyPrefix: prefix, holdTtlMs: HOLD_TTL_MS });
      opened.push(state);
      return state;
    },
    wipe: () => deletePrefix(prefix),
    close: async () => {
      await Promise.all(opened.splice(0).map((state) => state.close()));
      await deletePrefix(prefix);
    },
  };
}

/** Runs `suite` on memory, and on Redis when it answers (skipped, with a message, otherwise). */
export function onEveryBackend(title: string, suite: (backend: () => Backend) => void): void {
  describe(`${title}: memory`, () => suite(() => memoryBackend()));
  describe.skipIf(!redisAvailable)(`${title}: redis${redisAvailable ? '' : ' (skipped: no Redis on 127.0.0.1:6379)'}`, () => suite(() => redisBackend()));
}
