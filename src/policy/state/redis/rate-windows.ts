import { minuteStart, previousWeight, WINDOW_MS } from '../sliding-window.js';
import type { RateWindows, TakeOutcome, WindowCounts, WindowTake } from '../types.js';
import { script, type RedisConnection } from './connection.js';

/** A minute's count lives as long as some window may still weigh it. */
const MINUTE_TTL_MS = 2 * WINDOW_MS + 5_000;

/**
 * KEYS: current and previous minute per window. ARGV: weight of the previous minute, ttl, then
 * limit, need and add per window. Returns the refused window's index (-1: admitted) and the
 * counts seen, current and previous per window.
 */
const TAKE = script(`
local weight = tonumber(ARGV[1])
local counts = {}
local refused = -1
for i = 1, #KEYS / 2 do
  local current = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local previous = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  counts[#counts + 1] = current
  counts[#counts + 1] = previous
  local base = 2 + 3 * (i - 1)
  if refused < 0 and previous * weight + current + tonumber(ARGV[base + 2]) > tonumber(ARGV[base + 1]) then refused = i - 1 end
end
if refused < 0 then
  for i = 1, #KEYS / 2 do
    redis.call('INCRBY', KEYS[2 * i - 1], ARGV[2 + 3 * (i - 1) + 3])
    redis.call('PEXPIRE', KEYS[2 * i - 1], ARGV[2])
  end
end
table.insert(counts, 1, refused)
return counts
`);

/** KEYS: current minute per window. ARGV: delta, ttl. Never below zero. */
const ADJUST = script(`
for i = 1, #KEYS do
  if redis.call('INCRBY', KEYS[i], ARGV[1]) < 0 then redis.call('SET', KEYS[i], 0) end
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
end
return 0
`);

export class RedisRateWindows implements RateWindows {
  constructor(private readonly redis: RedisConnection) {}

  async take(windows: WindowTake[], now: number): Promise<TakeOutcome> {
    const start = minuteStart(now);
    const keys = windows.flatMap((window) => [this.key(window.id, start), this.key(window.id, start - WINDOW_MS)]);
    const args: Array<string | number> = [String(previousWeight(now)), MINUTE_TTL_MS];
    for (const window of windows) args.push(window.limit, window.need, Math.round(window.add));
    const reply = (await this.redis.run(TAKE, keys, args)) as number[];
    const counts: WindowCounts[] = windows.map((_, index) => ({ current: Number(reply[1 + 2 * index]), previous: Number(reply[2 + 2 * index]) }));
    const refused = Number(reply[0]);
    return refused < 0 ? { admitted: true, counts } : { admitted: false, refused, counts };
  }

  async adjust(ids: string[], delta: number, now: number): Promise<void> {
    if (ids.length === 0 || delta === 0) return;
    const start = minuteStart(now);
    await this.redis.run(ADJUST, ids.map((id) => this.key(id, start)), [Math.round(delta), MINUTE_TTL_MS]);
  }

  private key(id: string, start: number): string {
    return this.redis.key('rate', id, String(start));
  }
}
