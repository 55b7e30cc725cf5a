import { createHash } from 'node:crypto';
import type { Claim, IdempotencyRecords, StoredAnswer } from '../types.js';
import { script, type RedisConnection } from './connection.js';

/**
 * Per key (hashed: keys carry the caller's scope and any bytes the client sent), a hash with the
 * kept answer and a marker `<until>:<token>` while a request with the key runs. Both expire in
 * Redis too, so neither outlives its use even if never cleared.
 */
const CLAIM = script(`
local kept = redis.call('HMGET', KEYS[1], 'expiresAt', 'status', 'headers', 'body')
if kept[1] and tonumber(kept[1]) > tonumber(ARGV[1]) then return {'replay', kept[2], kept[3], kept[4]} end
local running = redis.call('GET', KEYS[2])
if running and tonumber(string.match(running, '^(%d+):')) > tonumber(ARGV[1]) then return {'in-flight'} end
redis.call('SET', KEYS[2], ARGV[3] .. ':' .. ARGV[2], 'PX', ARGV[4])
return {'claimed'}
`);

/** KEYS: answer, marker. ARGV: token, keep ('1'), status, headers, body, expiresAt, ttl. */
const FINISH = script(`
local running = redis.call('GET', KEYS[2])
if running and string.sub(running, -#ARGV[1] - 1) == ':' .. ARGV[1] then redis.call('DEL', KEYS[2]) end
if ARGV[2] == '1' then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'status', ARGV[3], 'headers', ARGV[4], 'body', ARGV[5], 'expiresAt', ARGV[6])
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
end
return 0
`);

export class RedisIdempotencyRecords implements IdempotencyRecords {
  constructor(private readonly redis: RedisConnection) {}

  async claim(key: string, token: string, now: number, inFlightUntil: number): Promise<Claim> {
    const reply = (await this.redis.run(CLAIM, this.keys(key), [now, token, inFlightUntil, Math.max(1, inFlightUntil - now)], true)) as Buffer[];
    switch (reply[0]!.toString()) {
      case 'replay':
        return {
          kind: 'replay',
          answer: { status: Number(reply[1]!.toString()), headers: JSON.parse(reply[2]!.toString()) as StoredAnswer['headers'], body: reply[3]! },
        };
      case 'in-flight':
        return { kind: 'in-flight' };
      default:
        return { kind: 'claimed' };
    }
  }

  async finish(key: string, token: string, now: number, kept: { answer: StoredAnswer; expiresAt: number } | null): Promise<void> {
    const answer = kept
      ? ['1', String(kept.answer.status), JSON.stringify(kept.answer.headers), kept.answer.body, String(kept.expiresAt), String(Math.max(1, kept.expiresAt - now))]
      : ['0'];
    await this.redis.run(FINISH, this.keys(key), [token, ...answer]);
  }

  private keys(key: string): [string, string] {
    const hash = this.redis.key('idem', createHash('sha256').update(key).digest('base64url'));
    return [hash, `${hash}:running`];
  }
}
