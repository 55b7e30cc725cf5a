import type { BreakerStates, CircuitRecord } from '../types.js';
import { script, type RedisConnection } from './connection.js';

/** A candidate not heard of for this long starts again from closed with no failures counted. */
const FORGET_AFTER_MS = 24 * 3_600_000;

/**
 * Per candidate, a hash (`failures`, `openedAt`) and a trial key holding the deadline of the
 * one trial a half-open circuit lets through, set only if free (and expiring by itself, so a
 * process that died during its trial does not keep the circuit shut).
 */
const CLAIM_TRIAL = script(`
local taken = redis.call('GET', KEYS[1])
if taken and tonumber(taken) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), 'PX', ARGV[2])
return 1
`);

/** KEYS: hash, trial. ARGV: now, threshold, keep. */
const FAILURE = script(`
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if redis.call('DEL', KEYS[2]) == 1 or failures >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'openedAt', ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return failures
`);

const READ = script(`return redis.call('HMGET', KEYS[1], 'failures', 'openedAt')`);
const FORGET = script(`return redis.call('DEL', unpack(KEYS))`);

export class RedisBreakerStates implements BreakerStates {
  constructor(private readonly redis: RedisConnection) {}

  async read(id: string): Promise<CircuitRecord | null> {
    const [failures, openedAt] = (await this.redis.run(READ, [this.hash(id)], [])) as Array<string | null>;
    if (failures === null || failures === undefined) return null;
    return { failures: Number(failures), openedAt: openedAt === null || openedAt === undefined ? null : Number(openedAt) };
  }

  async claimTrial(id: string, now: number, ttlMs: number): Promise<boolean> {
    return Number(await this.redis.run(CLAIM_TRIAL, [this.trial(id)], [now, Math.max(1, Math.round(ttlMs))])) === 1;
  }

  async failure(id: string, now: number, threshold: number): Promise<void> {
    await this.redis.run(FAILURE, [this.hash(id), this.trial(id)], [now, threshold, FORGET_AFTER_MS]);
  }

  async success(id: string): Promise<void> {
    await this.redis.run(FORGET, [this.hash(id), this.trial(id)], []);
  }

  async endTrial(id: string): Promise<void> {
    await this.redis.run(FORGET, [this.trial(id)], []);
  }

  private hash(id: string): string {
    return this.redis.key('breaker', id);
  }

  private trial(id: string): string {
    return this.redis.key('breaker', id, 'trial');
  }
}
