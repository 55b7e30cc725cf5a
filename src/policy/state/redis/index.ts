import type { Logger } from 'pino';
import type { PolicyState } from '../types.js';
import { RedisBreakerStates } from './breaker-states.js';
import { RedisBudgetCounters } from './budget-counters.js';
import { RedisConnection } from './connection.js';
import { RedisIdempotencyRecords } from './idempotency-records.js';
import { RedisRateWindows } from './rate-windows.js';

export interface RedisStateOptions {
  url: string;
  keyPrefix: string;
  /** How long a hold that is never settled stays reserved. */
  holdTtlMs: number;
  commandTimeoutMs?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/** Policy state in Redis, shared by every process that uses the same URL and key prefix. */
export function createRedisState(options: RedisStateOptions): PolicyState {
  const redis = new RedisConnection(options);
  const rateWindows = new RedisRateWindows(redis);
  return {
    description: `redis ${redis.where}`,
    budgets: new RedisBudgetCounters(redis, options.holdTtlMs, rateWindows),
    rateWindows,
    breakers: new RedisBreakerStates(redis),
    idempotency: new RedisIdempotencyRecords(redis),
    close: () => redis.close(),
  };
}
