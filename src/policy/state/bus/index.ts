import type { Logger } from 'pino';
import type { Config } from '../../../config/schema.js';
import { MemoryNotificationBus } from './memory.js';
import { RedisNotificationBus } from './redis.js';
import type { NotificationBus } from './types.js';

export type { NotificationBus, Unsubscribe } from './types.js';

/** Redis pub/sub when `store.redis` is set (several instances), this process's memory otherwise. */
export function createNotificationBus(config: Config, logger?: Pick<Logger, 'warn' | 'info'>): NotificationBus {
  const { redis, redisKeyPrefix } = config.store;
  if (!redis) return new MemoryNotificationBus();
  return new RedisNotificationBus({ url: redis, keyPrefix: redisKeyPrefix, ...(logger ? { logger } : {}) });
}
