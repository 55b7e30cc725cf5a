/**
 * The policy state backends every contract suite runs on. A backend hands out "instances":
 * handles on one shared state, as separate gateway processes would hold them. In memory that is
 * one object (one process); in Redis each instance has its own client, all under one key prefix
 * that is this run's alone; in a data home each has its own connection to the folder's file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe } from 'vitest';
import { createDataHomeState } from '../../../src/policy/state/data-home/index.js';
import { POLICY_STATE_FILE } from '../../../src/policy/state/data-home/database.js';
import { createMemoryState } from '../../../src/policy/state/memory/index.js';
import { createRedisState } from '../../../src/policy/state/redis/index.js';
import type { PolicyState } from '../../../src/policy/state/types.js';
import { deletePrefix, REDIS_URL, redisAvailable, testPrefix } from '../../support/redis.js';

export const HOLD_TTL_MS = 600_000;

export interface Backend {
  readonly name: 'memory' | 'redis' | 'data-home';
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

export function dataHomeBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-policy-state-'));
  const opened: PolicyState[] = [];
  return {
    name: 'data-home',
    instance: () => {
      const state = createDataHomeState({ dataDir: dir, holdTtlMs: HOLD_TTL_MS, idempotencyMaxBytes: 64 * 1024 * 1024 });
      opened.push(state);
      return state;
    },
    wipe: async () => {
      const db = new Database(join(dir, POLICY_STATE_FILE));
      db.exec('DELETE FROM budget_counters; DELETE FROM budget_holds; DELETE FROM rate_minutes;');
      db.close();
    },
    close: async () => {
      await Promise.all(opened.splice(0).map((state) => state.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `suite` on memory, on the data home (unless `dataHome` is false: what it keeps in each
 * process's memory) and on Redis when it answers (skipped, with a message, otherwise).
 */
export function onEveryBackend(title: string, suite: (backend: () => Backend) => void, options: { dataHome?: boolean } = {}): void {
  describe(`${title}: memory`, () => suite(() => memoryBackend()));
  if (options.dataHome !== false) describe(`${title}: data home`, () => suite(() => dataHomeBackend()));
  describe.skipIf(!redisAvailable)(`${title}: redis${redisAvailable ? '' : ' (skipped: no Redis on 127.0.0.1:6379)'}`, () => suite(() => redisBackend()));
}
