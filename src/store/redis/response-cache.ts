import type { RedisConnection } from '../../policy/state/redis/connection.js';
import type { ResponseCacheStore } from '../response-cache.js';

/**
 * The response cache in Redis, shared by every instance. Redis expires entries itself (PX), so
 * there is nothing to sweep, and its own memory policy bounds the total. The expiry is also kept
 * in the value, so that a read follows the gateway's clock rather than Redis's.
 */
export function redisResponseCache(redis: RedisConnection): ResponseCacheStore {
  const keyOf = (key: string) => redis.key('cache', key);
  return {
    description: `redis ${redis.where}`,
    get: async (key, now) => {
      const kept = await redis.command(['GET', keyOf(key)]);
      if (typeof kept !== 'string') return undefined;
      const colon = kept.indexOf(':');
      return Number(kept.slice(0, colon)) > now ? kept.slice(colon + 1) : undefined;
    },
    put: async (key, value, expiresAt, now) => {
      await redis.command(['SET', keyOf(key), `${expiresAt}:${value}`, 'PX', String(Math.max(1, expiresAt - now))]);
    },
    sweep: async () => 0,
    close: () => redis.close(),
  };
}
