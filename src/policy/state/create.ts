import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { createDataHomeState } from './data-home/index.js';
import { createMemoryState } from './memory/index.js';
import { createRedisState } from './redis/index.js';
import type { PolicyState } from './types.js';

/** Idempotent answers kept in memory, in bytes, all entries together. */
export const IDEMPOTENCY_MAX_BYTES = 64 * 1024 * 1024;

export interface PolicyStateOptions {
  /** The data folder: without Redis, its processes share budgets and rate limits through it. */
  dataDir?: string;
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** The gateway's clock, read once as the state is opened. */
  now?: number;
}

/**
 * Policy state as config says: Redis when `store.redis` is set; else the data folder's shared
 * file, so that every process on one data folder counts a budget once; this process's memory
 * only where there is no data folder (a gateway built in a test).
 */
export function createPolicyState(config: Config, options: PolicyStateOptions = {}): PolicyState {
  const { redis, redisKeyPrefix } = config.store;
  const holdTtlMs = config.limits.holdTtlMs;
  const { logger, dataDir } = options;
  if (!redis && dataDir) return createDataHomeState({ dataDir, holdTtlMs, idempotencyMaxBytes: IDEMPOTENCY_MAX_BYTES, ...(options.now !== undefined ? { now: options.now } : {}) });
  if (!redis) return createMemoryState({ holdTtlMs, idempotencyMaxBytes: IDEMPOTENCY_MAX_BYTES });
  return createRedisState({ url: redis, keyPrefix: redisKeyPrefix, holdTtlMs, ...(logger ? { logger } : {}) });
}
