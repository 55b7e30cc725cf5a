import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';

/** Where policy state lives, and what happens when it is out of reach, as config says. */
describe('store and limits config', () => {
  it('defaults to memory, the tollgate: prefix, failing closed, ten-minute holds and five web searches a search tool', () => {
    const config = parseConfig({}, {});
    expect(config.store).toEqual({ redisKeyPrefix: 'tollgate:' });
    expect(config.limits).toEqual({ onStoreOutage: 'deny', holdTtlMs: 600_000, webSearchMaxUses: 5 });
  });

  it('takes TOLLGATE_REDIS_URL when the config names no Redis, and the config when it does', () => {
    expect(parseConfig({}, { TOLLGATE_REDIS_URL: 'redis://10.0.0.5:6379/2' }).store.redis).toBe('redis://10.0.0.5:6379/2');
    const both = parseConfig({ store: { redis: 'rediss://cache.internal:6380', redisKeyPrefix: 'gw-a:' } }, { TOLLGATE_REDIS_URL: 'redis://10.0.0.5:6379' });
    expect(both.store).toEqual({ redis: 'rediss://cache.internal:6380', redisKeyPrefix: 'gw-a:' });
  });

  it('resolves store.redis written as env:NAME, and names the field when the variable is missing', () => {
    expect(parseConfig({ store: { redis: 'env:MY_REDIS' } }, { MY_REDIS: 'redis://:s3cret@127.0.0.1:6379' }).store.redis).toBe('redis://:s3cret@127.0.0.1:6379');
    expect(() => parseConfig({ store: { redis: 'env:MY_REDIS' } }, {})).toThrow(new ConfigError(['store.redis: environment variable MY_REDIS is not set']));
  });

  it('refuses a URL that is not redis:// or rediss://, without repeating it (it may hold a password)', () => {
    const attempt = () => parseConfig({}, { TOLLGATE_REDIS_URL: 'http://user:s3cret@127.0.0.1:6379' });
    expect(attempt).toThrow(new ConfigError(['TOLLGATE_REDIS_URL: must be a redis:// or rediss:// URL']));
    expect(() => parseConfig({ store: { redis: 'localhost:6379' } }, {})).toThrow(/^invalid config at store\.redis: must be a redis/);
  });

  it('accepts only deny or allow for limits.onStoreOutage', () => {
    expect(parseConfig({ limits: { onStoreOutage: 'allow' } }, {}).limits.onStoreOutage).toBe('allow');
    expect(() => parseConfig({ limits: { onStoreOutage: 'ignore' } } as never, {})).toThrow(/invalid config at limits\.onStoreOutage/);
  });
});
