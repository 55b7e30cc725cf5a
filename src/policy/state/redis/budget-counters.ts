import type { BudgetCounters, Charged, CounterReading, CounterRef, HoldRequest, ReserveOutcome } from '../types.js';
import { script, type RedisConnection } from './connection.js';
import { countsOf, WINDOWS_LUA, type RedisRateWindows } from './rate-windows.js';

/**
 * Each counter is a hash (`spent`, `reserved`, and `h:<hold id>` → nanos per hold) beside a
 * sorted set of hold ids by deadline. Every script first sweeps holds past their deadline, so a
 * process that died without settling leaves nothing reserved for longer than the hold lifetime.
 * Sums are kept as Redis integers (HINCRBY); Lua only compares.
 */
const SWEEP = `
local function sweep(hash, deadlines, now)
  local expired = redis.call('ZRANGEBYSCORE', deadlines, '-inf', now, 'LIMIT', 0, 200)
  for _, id in ipairs(expired) do
    local held = redis.call('HGET', hash, 'h:' .. id)
    if held then
      redis.call('HINCRBY', hash, 'reserved', '-' .. held)
      redis.call('HDEL', hash, 'h:' .. id)
    end
    redis.call('ZREM', deadlines, id)
  end
end
local function expire(hash, deadlines, ttl)
  if ttl ~= '-1' then
    redis.call('PEXPIRE', hash, ttl)
    redis.call('PEXPIRE', deadlines, ttl)
  end
end
`;

/**
 * KEYS: hash, deadlines per counter, then the windows' keys. ARGV: hold id, nanos, now, deadline,
 * number of counters, number of windows, limit and ttl per counter, then the windows' operands.
 * The budget is checked first; windows are added only with the hold.
 */
const RESERVE = script(`${SWEEP}${WINDOWS_LUA}
local id, nanos, now, deadline = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local count, windows = tonumber(ARGV[5]), tonumber(ARGV[6])
local unseeded = {}
for i = 1, count do
  sweep(KEYS[2 * i - 1], KEYS[2 * i], now)
  if redis.call('HEXISTS', KEYS[2 * i - 1], 'spent') == 0 then unseeded[#unseeded + 1] = i - 1 end
end
if #unseeded > 0 then return {'unseeded', unpack(unseeded)} end
for i = 1, count do
  local values = redis.call('HMGET', KEYS[2 * i - 1], 'spent', 'reserved')
  local remaining = tonumber(ARGV[5 + 2 * i]) - tonumber(values[1]) - tonumber(values[2] or '0')
  if remaining <= 0 or tonumber(nanos) > remaining then
    return {'refused', i - 1, values[1], values[2] or '0'}
  end
end
local counts = {}
if windows > 0 then
  local refused
  refused, counts = check_windows(KEYS, 2 * count + 1, windows, ARGV, 7 + 2 * count)
  if refused >= 0 then return {'rate-limited', refused, unpack(counts)} end
  add_windows(KEYS, 2 * count + 1, windows, ARGV, 7 + 2 * count)
end
for i = 1, count do
  local hash, deadlines = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('HINCRBY', hash, 'reserved', nanos)
  redis.call('HSET', hash, 'h:' .. id, nanos)
  redis.call('ZADD', deadlines, deadline, id)
  expire(hash, deadlines, ARGV[6 + 2 * i])
end
return {'held', unpack(counts)}
`);

/** KEYS: hash, deadlines. ARGV: spent, ttl, overwrite ('1'). */
const SEED = script(`${SWEEP}
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], 'spent', ARGV[1])
elseif redis.call('HSETNX', KEYS[1], 'spent', ARGV[1]) == 0 then
  return 0
end
expire(KEYS[1], KEYS[2], ARGV[2])
return 1
`);

/**
 * KEYS: hash, deadlines of each held counter, then the hash of each charged counter.
 * ARGV: hold id, cost, number of held counters. Returns spent before and after per charged
 * counter (-1, -1 where it has no spent figure).
 */
const SETTLE = script(`
local id, cost, held = ARGV[1], ARGV[2], tonumber(ARGV[3])
for i = 1, held do
  local hash, deadlines = KEYS[2 * i - 1], KEYS[2 * i]
  local nanos = redis.call('HGET', hash, 'h:' .. id)
  if nanos then
    redis.call('HINCRBY', hash, 'reserved', '-' .. nanos)
    redis.call('HDEL', hash, 'h:' .. id)
  end
  redis.call('ZREM', deadlines, id)
end
local moved = {}
for i = 2 * held + 1, #KEYS do
  local before = redis.call('HGET', KEYS[i], 'spent')
  if before and tonumber(cost) > 0 then
    moved[#moved + 1] = before
    moved[#moved + 1] = redis.call('HINCRBY', KEYS[i], 'spent', cost)
  else
    moved[#moved + 1] = -1
    moved[#moved + 1] = -1
  end
end
return moved
`);

/** KEYS: hash, deadlines per counter. ARGV: now. Returns spent (-1: unseeded), reserved per counter. */
const READ = script(`${SWEEP}
local now = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS / 2 do
  sweep(KEYS[2 * i - 1], KEYS[2 * i], now)
  local values = redis.call('HMGET', KEYS[2 * i - 1], 'spent', 'reserved')
  out[#out + 1] = values[1] or -1
  out[#out + 1] = values[2] or 0
end
return out
`);

export class RedisBudgetCounters implements BudgetCounters {
  constructor(
    private readonly redis: RedisConnection,
    private readonly holdTtlMs: number,
    private readonly windows: RedisRateWindows,
  ) {}

  async reserve(hold: HoldRequest, now: number): Promise<ReserveOutcome> {
    const windows = hold.windows ?? [];
    const args: Array<string | number> = [hold.id, Math.round(hold.nanos), now, now + this.holdTtlMs, hold.counters.length, windows.length];
    hold.counters.forEach((ref, index) => args.push(Math.round(hold.limits[index]!), ttl(ref, now)));
    const keys = hold.counters.flatMap((ref) => this.keys(ref));
    if (windows.length) {
      const operands = this.windows.operands(windows, now);
      keys.push(...operands.keys);
      args.push(...operands.args);
    }
    const reply = (await this.redis.run(RESERVE, keys, args)) as Array<string | number>;
    switch (reply[0]) {
      case 'held':
        return { kind: 'held', counts: countsOf(reply.slice(1)) };
      case 'rate-limited':
        return { kind: 'rate-limited', window: Number(reply[1]), counts: countsOf(reply.slice(2)) };
      case 'unseeded':
        return { kind: 'unseeded', counters: reply.slice(1).map(Number) };
      default:
        return { kind: 'refused', counter: Number(reply[1]), spentNanos: Number(reply[2]), reservedNanos: Number(reply[3]) };
    }
  }

  async seed(ref: CounterRef, spentNanos: number, now: number, overwrite = false): Promise<void> {
    await this.redis.run(SEED, this.keys(ref), [Math.round(spentNanos), ttl(ref, now), overwrite ? '1' : '0']);
  }

  async settle(holdId: string, held: CounterRef[], charged: CounterRef[], costNanos: number): Promise<Array<Charged | null>> {
    const keys = [...held.flatMap((ref) => this.keys(ref)), ...charged.map((ref) => this.keys(ref)[0]!)];
    const reply = (await this.redis.run(SETTLE, keys, [holdId, Math.round(costNanos), held.length])) as Array<string | number>;
    return charged.map((_, index) => {
      const before = Number(reply[2 * index]);
      return before < 0 ? null : { beforeNanos: before, afterNanos: Number(reply[2 * index + 1]) };
    });
  }

  async release(holdId: string, held: CounterRef[]): Promise<void> {
    await this.redis.run(SETTLE, held.flatMap((ref) => this.keys(ref)), [holdId, 0, held.length]);
  }

  async read(refs: CounterRef[], now: number): Promise<Array<CounterReading | null>> {
    const reply = (await this.redis.run(READ, refs.flatMap((ref) => this.keys(ref)), [now])) as Array<string | number>;
    return refs.map((_, index) => {
      const spent = Number(reply[2 * index]);
      return spent < 0 ? null : { spentNanos: spent, reservedNanos: Number(reply[2 * index + 1]) };
    });
  }

  private keys(ref: CounterRef): [string, string] {
    const hash = this.redis.key('budget', ref.id);
    return [hash, `${hash}:holds`];
  }
}

/** Milliseconds the counter's keys live: to the end of its period (-1: no end). */
function ttl(ref: CounterRef, now: number): number {
  return ref.endsAt === null ? -1 : Math.max(1_000, ref.endsAt - now);
}
