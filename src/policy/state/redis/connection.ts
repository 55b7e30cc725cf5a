import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { StateUnavailableError } from '../types.js';

/** A Lua script run with EVALSHA, and with EVAL once when Redis does not have it cached. */
export interface Script {
  source: string;
  sha: string;
}

export function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

type Arg = string | Buffer;

/** How a node-redis client is opened, watched and closed, whatever it is used for. */
export interface RedisClientLifecycle {
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
  readonly isReady: boolean;
}

/** The part of node-redis this module uses. */
interface Client extends RedisClientLifecycle {
  sendCommand(args: Arg[], options?: { timeout?: number; typeMapping?: object }): Promise<unknown>;
}

export interface RedisConnectionOptions {
  url: string;
  /** Put before every key, so several gateways (or tests) share one Redis without meeting. */
  keyPrefix: string;
  /** A command not answered within this fails as an outage instead of holding the request. */
  commandTimeoutMs?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/**
 * One connection to Redis, opened on first use (the client package loads only then). While it
 * is down, commands fail at once with StateUnavailableError instead of queueing, so a request
 * that needs the store is answered (refused or served, as configured) without waiting.
 */
export class RedisConnection {
  /** `host:port` (and `/db`): what error messages and logs name. Never the credentials. */
  readonly where: string;
  readonly keyPrefix: string;
  private client: Promise<Client> | undefined;
  private down = false;
  private closed = false;
  private readonly timeoutMs: number;
  private binaryMapping: object | undefined;
  private errorReply: (new (...args: never[]) => Error) | undefined;

  constructor(private readonly options: RedisConnectionOptions) {
    this.where = describeRedisUrl(options.url);
    this.keyPrefix = options.keyPrefix;
    this.timeoutMs = options.commandTimeoutMs ?? 2_000;
  }

  key(...parts: string[]): string {
    return this.keyPrefix + parts.join(':');
  }

  /** Runs a script; `binary` returns bulk strings as Buffers instead of text. */
  async run(script: Script, keys: string[], args: Array<string | number | Buffer>, binary = false): Promise<unknown> {
    const client = await this.connected();
    const tail: Arg[] = [String(keys.length), ...keys, ...args.map((arg) => (typeof arg === 'number' ? String(arg) : arg))];
    const options = { timeout: this.timeoutMs, ...(binary ? { typeMapping: this.binaryMapping } : {}) };
    try {
      try {
        return await client.sendCommand(['EVALSHA', script.sha, ...tail], options);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return await client.sendCommand(['EVAL', script.source, ...tail], options);
      }
    } catch (error) {
      throw this.classify(error);
    }
  }

  /** A plain command. */
  async command(args: string[]): Promise<unknown> {
    const client = await this.connected();
    try {
      return await client.sendCommand(args, { timeout: this.timeoutMs });
    } catch (error) {
      throw this.classify(error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = await this.client?.catch(() => undefined);
    if (!client) return;
    // A client still trying to reconnect would wait for Redis to come back: drop it instead.
    if (!client.isReady) return client.destroy();
    await client.close().catch(() => client.destroy());
  }

  private async connected(): Promise<Client> {
    if (this.closed) throw new StateUnavailableError(`the policy store (Redis at ${this.where}) is closed`);
    this.client ??= this.open();
    const client = await this.client;
    if (this.down && !client.isReady) throw new StateUnavailableError(`the policy store (Redis at ${this.where}) is unreachable`);
    return client;
  }

  private async open(): Promise<Client> {
    const { createClient, RESP_TYPES, ErrorReply } = await import('redis');
    this.binaryMapping = { [RESP_TYPES.BLOB_STRING]: Buffer };
    this.errorReply = ErrorReply;
    const client = createClient({
      url: this.options.url,
      socket: {
        connectTimeout: this.timeoutMs,
        // Keep trying, but never so slowly that a recovered Redis is noticed late.
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1_000),
      },
    }) as unknown as Client;
    client.on('error', (error: Error) => {
      if (!this.down) this.options.logger?.warn({ err: { message: error.message, code: (error as NodeJS.ErrnoException).code } }, `policy store unreachable (Redis at ${this.where})`);
      this.down = true;
    });
    client.on('ready', () => {
      if (this.down) this.options.logger?.info(`policy store reachable again (Redis at ${this.where})`);
      this.down = false;
    });
    // The first connection is awaited by nobody: commands queue until it is made (within
    // their timeout), or fail at once once an attempt has failed.
    void client.connect().catch(() => undefined);
    return client;
  }

  /** Replies Redis gave (a script's error) stay as they are; anything else means it is out of reach. */
  private classify(error: unknown): Error {
    if (this.errorReply && error instanceof this.errorReply) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new StateUnavailableError(`the policy store (Redis at ${this.where}) is unreachable (${reason || 'no answer'})`);
  }
}

/** `redis://user:secret@host:6380/2` → `host:6380/2`. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const db = parsed.pathname.replace(/^\//, '');
    return `${parsed.hostname || 'localhost'}:${parsed.port || '6379'}${db ? `/${db}` : ''}`;
  } catch {
    return 'an invalid URL';
  }
}
