/**
 * Who opened each `/mcp` session and how it was initialised. With several gateway instances
 * behind a balancer these live in Redis, so any instance can serve any request of a session:
 * it checks the owner there and, if the session is new to it, revives it from the handshake.
 * A record lasts `ttlMs` from its last use.
 */
import { z } from 'zod';
import type { RedisConnection } from '../../policy/state/redis/connection.js';

export const SessionRecord = z.object({
  /** The caller that opened it (`callerId`): nobody else may use the session. */
  owner: z.string(),
  /** The client's `initialize` params, replayed by an instance that revives the session. */
  initialize: z.record(z.string(), z.unknown()),
});
export type SessionRecord = z.infer<typeof SessionRecord>;

export interface SessionRecords {
  /** `memory` or `redis <host:port>`, for messages. */
  readonly description: string;
  create(id: string, record: SessionRecord): Promise<void>;
  /** The record, its lifetime renewed; undefined when unknown or expired. */
  use(id: string): Promise<SessionRecord | undefined>;
  /** Whether the record is still alive (used within its lifetime, by any instance); renews nothing. */
  alive(id: string): Promise<boolean>;
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}

/** This process's records: one instance serves every request of its sessions. */
export class MemorySessionRecords implements SessionRecords {
  readonly description = 'memory';
  private readonly records = new Map<string, { record: SessionRecord; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async create(id: string, record: SessionRecord): Promise<void> {
    this.purge();
    this.records.set(id, { record, expiresAt: this.now() + this.ttlMs });
  }

  async use(id: string): Promise<SessionRecord | undefined> {
    const entry = this.records.get(id);
    if (!entry) return undefined;
    const now = this.now();
    if (entry.expiresAt <= now) {
      this.records.delete(id);
      return undefined;
    }
    entry.expiresAt = now + this.ttlMs;
    return entry.record;
  }

  async alive(id: string): Promise<boolean> {
    const entry = this.records.get(id);
    return entry !== undefined && entry.expiresAt > this.now();
  }

  async delete(id: string): Promise<void> {
    this.records.delete(id);
  }

  async close(): Promise<void> {
    this.records.clear();
  }

  private purge(): void {
    const now = this.now();
    for (const [id, entry] of this.records) if (entry.expiresAt <= now) this.records.delete(id);
  }
}

/** Records in Redis, shared by every instance on the same URL and key prefix. */
export class RedisSessionRecords implements SessionRecords {
  readonly description: string;

  constructor(
    private readonly redis: RedisConnection,
    private readonly ttlMs: number,
  ) {
    this.description = `redis ${redis.where}`;
  }

  async create(id: string, record: SessionRecord): Promise<void> {
    await this.redis.command(['SET', this.key(id), JSON.stringify(record), 'PX', String(this.ttlMs)]);
  }

  async use(id: string): Promise<SessionRecord | undefined> {
    const text = await this.redis.command(['GETEX', this.key(id), 'PX', String(this.ttlMs)]);
    if (typeof text !== 'string') return undefined;
    const parsed = SessionRecord.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  }

  async alive(id: string): Promise<boolean> {
    return (await this.redis.command(['EXISTS', this.key(id)])) === 1;
  }

  async delete(id: string): Promise<void> {
    await this.redis.command(['DEL', this.key(id)]);
  }

  close(): Promise<void> {
    return this.redis.close();
  }

  private key(id: string): string {
    return this.redis.key('mcp-session', id);
  }
}
