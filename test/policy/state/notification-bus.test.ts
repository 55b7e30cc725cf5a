/**
 * One contract for every notification bus: in memory (one process), over sockets in a data folder
 * (processes on one folder) and over Redis pub/sub (instances on one Redis and key prefix). Each
 * "instance" is a bus of its own on the shared medium, as a separate process would hold it.
 * Deliveries are awaited as they come; an absence is shown by a later message that must arrive
 * after it on the same path.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUS_DIR, DataHomeNotificationBus } from '../../../src/policy/state/bus/data-home.js';
import { MemoryNotificationBus } from '../../../src/policy/state/bus/memory.js';
import { RedisNotificationBus } from '../../../src/policy/state/bus/redis.js';
import type { NotificationBus } from '../../../src/policy/state/bus/types.js';
import { StateUnavailableError } from '../../../src/policy/state/types.js';
import { REDIS_URL, redisAvailable, testPrefix } from '../../support/redis.js';
import { startTcpProxy } from '../../support/tcp-proxy.js';

/** What one listener heard, awaited one message at a time. */
function heard() {
  const messages: string[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  return {
    messages,
    listener: (message: string) => {
      messages.push(message);
      wake?.();
    },
    async next(): Promise<string> {
      while (messages.length <= taken) await new Promise<void>((resolve) => (wake = resolve));
      return messages[taken++]!;
    },
  };
}

interface Medium {
  name: string;
  available: boolean;
  /** Another bus on the same medium. */
  instance(): NotificationBus;
  /** A bus on another medium of the same kind (another folder, another key prefix). */
  elsewhere(): NotificationBus;
}

const opened: NotificationBus[] = [];
const folders: string[] = [];
const open = (bus: NotificationBus) => (opened.push(bus), bus);
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bus-'));
  folders.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(opened.map((bus) => bus.close()));
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

const memory = new MemoryNotificationBus();
const dataDir = folder();
const prefix = testPrefix();
const media: Medium[] = [
  { name: 'memory', available: true, instance: () => memory, elsewhere: () => open(new MemoryNotificationBus()) },
  { name: 'data home', available: true, instance: () => open(new DataHomeNotificationBus(dataDir)), elsewhere: () => open(new DataHomeNotificationBus(folder())) },
  {
    name: 'redis',
    available: redisAvailable,
    instance: () => open(new RedisNotificationBus({ url: REDIS_URL, keyPrefix: prefix })),
    elsewhere: () => open(new RedisNotificationBus({ url: REDIS_URL, keyPrefix: testPrefix() })),
  },
];

for (const medium of media) {
  describe.skipIf(!medium.available)(`notification bus: ${medium.name}`, () => {
    it('delivers a message to every listener of its channel on every instance, the publisher included, in order', async () => {
      const [one, two] = [medium.instance(), medium.instance()];
      const [onOne, onTwo, otherChannel] = [heard(), heard(), heard()];
      await one.subscribe('budget', onOne.listener);
      await two.subscribe('budget', onTwo.listener);
      await two.subscribe('elsewhere', otherChannel.listener);
      await one.publish('elsewhere', 'first');
      for (const message of ['a', 'b', 'c']) await one.publish('budget', message);
      expect([await onTwo.next(), await onTwo.next(), await onTwo.next()]).toEqual(['a', 'b', 'c']);
      expect([await onOne.next(), await onOne.next(), await onOne.next()]).toEqual(['a', 'b', 'c']);
      expect(otherChannel.messages).toEqual(['first']);
    });

    it('stops delivering to a listener once it unsubscribes; other listeners of the channel still hear', async () => {
      const [one, two] = [medium.instance(), medium.instance()];
      const [gone, staying] = [heard(), heard()];
      const stop = await two.subscribe('session', gone.listener);
      await two.subscribe('session', staying.listener);
      await one.publish('session', 'before');
      expect(await gone.next()).toBe('before');
      await stop();
      await one.publish('session', 'after');
      expect([await staying.next(), await staying.next()]).toEqual(['before', 'after']);
      expect(gone.messages).toEqual(['before']);
    });

    it('is not heard on another medium of its kind (another data folder, another key prefix)', async () => {
      const [here, there] = [medium.instance(), medium.elsewhere()];
      const [onHere, onThere] = [heard(), heard()];
      await here.subscribe('budget', onHere.listener);
      await there.subscribe('budget', onThere.listener);
      await there.publish('budget', 'theirs');
      await here.publish('budget', 'ours');
      expect(await onThere.next()).toBe('theirs');
      expect(await onHere.next()).toBe('ours');
      expect(onThere.messages).toEqual(['theirs']);
    });
  });
}

describe('notification bus: data home', () => {
  it('removes a socket whose process is gone, and still reaches the live ones', async () => {
    const dir = folder();
    const live = open(new DataHomeNotificationBus(dir));
    const onLive = heard();
    await live.subscribe('budget', onLive.listener);
    // A process that died without closing its bus leaves its socket file behind: nobody listens on it.
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(join(dir, BUS_DIR, 'deadbeef0000.sock'), resolve));
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    writeFileSync(join(dir, BUS_DIR, 'deadbeef0000.sock'), '');
    const publisher = open(new DataHomeNotificationBus(dir));
    await publisher.publish('budget', 'hello');
    expect(await onLive.next()).toBe('hello');
    await publisher.publish('budget', 'again');
    expect(await onLive.next()).toBe('again');
    expect(readdirSync(join(dir, BUS_DIR)).filter((name) => name.startsWith('deadbeef'))).toEqual([]);
  });
});

describe.skipIf(!redisAvailable)('notification bus: redis unreachable', () => {
  it('refuses a subscription with StateUnavailableError naming Redis, and publishing too', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    const bus = open(new RedisNotificationBus({ url: `redis://127.0.0.1:${proxy.port}`, keyPrefix: testPrefix() }));
    try {
      const onBus = heard();
      await bus.subscribe('budget', onBus.listener);
      await proxy.cut();
      await expect(bus.publish('budget', 'lost')).rejects.toBeInstanceOf(StateUnavailableError);
      const refused = await bus.subscribe('other', onBus.listener).then(() => undefined, (error: unknown) => error);
      expect(refused).toBeInstanceOf(StateUnavailableError);
      expect((refused as Error).message).toMatch(/notification bus \(redis 127\.0\.0\.1:\d+\)/);
    } finally {
      await proxy.close();
    }
  });
});
