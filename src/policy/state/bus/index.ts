import type { Logger } from 'pino';
import type { Config } from '../../../config/schema.js';
import { DataHomeNotificationBus } from './data-home.js';
import { MemoryNotificationBus } from './memory.js';
import { RedisNotificationBus } from './redis.js';
import type { NotificationBus } from './types.js';

export type { NotificationBus, Unsubscribe } from './types.js';

/**
 * As the policy state: Redis pub/sub when `store.redis` is set (several instances); else sockets
 * in the data folder, reaching every process on it; this process's memory only where there is no
 * data folder (a gateway built in a test).
 */
export function createNotificationBus(config: Config, options: { dataDir?: string; logger?: Pick<Logger, 'warn' | 'info'> } = {}): NotificationBus {
  const { redis, redisKeyPrefix } = config.store;
  const { dataDir, logger } = options;
  if (!redis && dataDir) return new DataHomeNotificationBus(dataDir);
  if (!redis) return new MemoryNotificationBus();
  return new RedisNotificationBus({ url: redis, keyPrefix: redisKeyPrefix, ...(logger ? { logger } : {}) });
}
