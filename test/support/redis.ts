/**
 * Redis for tests: the machine's server at 127.0.0.1:6379 when it answers. Each run gets its own
 * key prefix and deletes every key under it afterwards (never FLUSHALL: other runs share it).
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { RedisConnection } from '../../src/policy/state/redis/connection.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** Does a Redis server answer PING on 127.0.0.1:6379 (within half a second)? */
export function redisAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: 6379 });
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), 500);
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export const redisAvailable = await redisAnswers();
if (!redisAvailable) {
  console.warn('Redis does not answer on 127.0.0.1:6379: the Redis runs of the policy state suites are skipped.');
}

/** A key prefix no other run uses. */
export function testPrefix(): string {
  return `tollgate-test:${randomUUID()}:`;
}

/** Deletes every key under `prefix`, with SCAN so the server is never blocked. */
export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new RedisConnection({ url: REDIS_URL, keyPrefix: prefix });
  try {
    let cursor = '0';
    for (let round = 0; round < 10_000; round++) {
      const [next, keys] = (await redis.command(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000'])) as [string, string[]];
      if (keys.length) await redis.command(['DEL', ...keys]);
      cursor = next;
      if (cursor === '0') return;
    }
    throw new Error(`keys under ${prefix} were still being listed after 10,000 rounds`);
  } finally {
    await redis.close();
  }
}

/** How many keys live under `prefix`. */
export async function countKeys(prefix: string): Promise<number> {
  const redis = new RedisConnection({ url: REDIS_URL, keyPrefix: prefix });
  try {
    let cursor = '0';
    let count = 0;
    for (let round = 0; round < 10_000; round++) {
      const [next, keys] = (await redis.command(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000'])) as [string, string[]];
      count += keys.length;
      cursor = next;
      if (cursor === '0') return count;
    }
    throw new Error('SCAN did not finish');
  } finally {
    await redis.close();
  }
}
