/**
 * The bus over Redis pub/sub, shared by every instance on the same URL and key prefix (the
 * prefix is put before each channel, so gateways or tests sharing one Redis never hear each
 * other). Publishing goes over an ordinary connection; listening takes a connection of its own,
 * which node-redis subscribes again to every channel after a reconnect.
 */
import type { Logger } from 'pino';
import { StateUnavailableError } from '../types.js';
import { describeRedisUrl, RedisConnection, type RedisClientLifecycle } from '../redis/connection.js';
import type { NotificationBus, Unsubscribe } from './types.js';

type Listener = (message: string) => void;

/** As the policy store's commands: a subscription not confirmed within this fails as an outage. */
const COMMAND_TIMEOUT_MS = 2_000;

/** The part of node-redis's client the listening side uses. */
interface Subscriber extends RedisClientLifecycle {
  subscribe(channel: string, listener: Listener): Promise<void>;
  unsubscribe(channel: string, listener: Listener): Promise<void>;
}

export interface RedisBusOptions {
  url: string;
  keyPrefix: string;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

export class RedisNotificationBus implements NotificationBus {
  readonly description: string;
  private readonly publisher: RedisConnection;
  private subscriber: Promise<Subscriber> | undefined;
  private down = false;
  private closed = false;

  constructor(private readonly options: RedisBusOptions) {
    this.description = `redis ${describeRedisUrl(options.url)}`;
    this.publisher = new RedisConnection({ url: options.url, keyPrefix: options.keyPrefix, ...(options.logger ? { logger: options.logger } : {}) });
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.command(['PUBLISH', this.channel(channel), message]);
  }

  async subscribe(channel: string, listener: Listener): Promise<Unsubscribe> {
    const subscriber = await this.listening();
    // node-redis keeps one entry per function and channel: each subscription gets its own.
    const entry: Listener = (message) => listener(message);
    const name = this.channel(channel);
    let timer: NodeJS.Timeout | undefined;
    try {
      // While a lost connection is not yet noticed, node-redis queues the command: give up as any command does.
      await Promise.race([
        subscriber.subscribe(name, entry),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer')), COMMAND_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      void subscriber.unsubscribe(name, entry).catch(() => undefined);
      throw new StateUnavailableError(`the notification bus (${this.description}) is unreachable (${(error as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
    return async () => {
      if (!this.closed) await subscriber.unsubscribe(name, entry).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.publisher.close();
    const subscriber = await this.subscriber?.catch(() => undefined);
    if (!subscriber) return;
    if (!subscriber.isReady) return subscriber.destroy();
    await subscriber.close().catch(() => subscriber.destroy());
  }

  private channel(name: string): string {
    return `${this.options.keyPrefix}bus:${name}`;
  }

  private async listening(): Promise<Subscriber> {
    if (this.closed) throw new StateUnavailableError(`the notification bus (${this.description}) is closed`);
    this.subscriber ??= this.open();
    const subscriber = await this.subscriber;
    if (this.down && !subscriber.isReady) throw new StateUnavailableError(`the notification bus (${this.description}) is unreachable`);
    return subscriber;
  }

  private async open(): Promise<Subscriber> {
    const { createClient } = await import('redis');
    const client = createClient({
      url: this.options.url,
      socket: { connectTimeout: COMMAND_TIMEOUT_MS, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1_000) },
    }) as unknown as Subscriber;
    client.on('error', () => {
      this.down = true;
    });
    client.on('ready', () => {
      this.down = false;
    });
    void client.connect().catch(() => undefined);
    return client;
  }
}
