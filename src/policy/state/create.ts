import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { createMemoryState } from './memory/index.js';
import { createRedisState } from './redis/index.js';
import type { PolicyState } from './types.js';

/** Idempotent answers kept in memory, in bytes, all entries together. */
export const IDEMPOTENCY_MAX_BYTES = 64 * 1024 * 1024;

/** Policy state as config says: Redis when `store.redis` is set, this process's memory otherwise. */
export function createPolicyState(config: Config, logger?: Pick<Logger, 'warn' | 'info'>): PolicyState {
  const { redis, redisKeyPrefix } = config.store;
  const holdTtlMs = config.limits.holdTtlMs;
  if (!redis) return createMemoryState({ holdTtlMs, idempotencyMaxBytes: IDEMPOTENCY_MAX_BYTES });
  return createRedisState({ url: redis, keyPrefix: redisKeyPrefix, holdTtlMs, ...(logger ? { logger } : {}) });
}
