import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { RedisConnection } from '../../src/policy/state/redis/connection.js';
import { redisResponseCache } from '../../src/store/redis/response-cache.js';
import { openSqliteResponseCache } from '../../src/store/sqlite/response-cache.js';
import { deletePrefix, REDIS_URL, redisAvailable, testPrefix } from '../support/redis.js';
import { responseCacheContract } from './contract/response-cache.js';

const dirs: string[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  for (const prefix of prefixes) await deletePrefix(prefix);
});

responseCacheContract('sqlite', {
  capsEntries: true,
  open: async (maxEntries) => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-cache-'));
    dirs.push(dir);
    return openSqliteResponseCache(dir, { maxEntries });
  },
});

responseCacheContract(
  'redis',
  {
    capsEntries: false,
    open: async () => {
      const prefix = testPrefix();
      prefixes.push(prefix);
      return redisResponseCache(new RedisConnection({ url: REDIS_URL, keyPrefix: prefix }));
    },
  },
  redisAvailable,
);
