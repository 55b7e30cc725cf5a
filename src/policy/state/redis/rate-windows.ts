import { minuteStart, previousWeight, WINDOW_MS } from '../sliding-window.js';
import type { RateWindows, TakeOutcome, WindowCounts, WindowTake } from '../types.js';
import { script, type RedisConnection } from './connection.js';

/** A minute's count lives as long as some window may still weigh it. */
const MINUTE_TTL_MS = 2 * WINDOW_MS + 5_000;

/**
 * Lua shared with the budget hold, which takes windows in the same script. The windows' keys
 * (current and previous minute per window) start at KEYS index `k`; their operands at ARGV
 * index `a`: weight of the previous minute, ttl, then limit, need and add per window.
 */
export const WINDOWS_LUA = `
local function check_windows(keys, k, n, args, a)
  local weight = tonumber(args[a])
  local counts = {}
  local refused = -1
  for i = 1, n do
    local current = tonumber(redis.call('GET', keys[k + 2 * i - 2]) or '0')
    local previous = tonumber(redis.call('GET', keys[k + 2 * i - 1]) or '0')
    counts[#counts + 1] = current
    counts[#counts + 1] = previous
    local base = a + 2 + 3 * (i - 1)
    if refused < 0 and previous * weight + current + tonumber(args[base + 1]) > tonumber(args[base]) then refused = i - 1 end
  end
  return refused, counts
end
local function add_windows(keys, k, n, args, a)
  for i = 1, n do
    redis.call('INCRBY', keys[k + 2 * i - 2], args[a + 2 + 3 * (i - 1) + 2])
    redis.call('PEXPIRE', keys[k + 2 * i - 2], args[a + 1])
  end
end
`;

/** Returns the refused window's index (-1: admitted) and the counts seen, current and previous per window. */
const TAKE = script(`${WINDOWS_LUA}
local n = #KEYS / 2
local refused, counts = check_windows(KEYS, 1, n, ARGV, 1)
if refused < 0 then add_windows(KEYS, 1, n, ARGV, 1) end
return {refused, unpack(counts)}
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
    const { keys, args } = this.operands(windows, now);
    const reply = (await this.redis.run(TAKE, keys, args)) as number[];
    const counts = countsOf(reply.slice(1));
    const refused = Number(reply[0]);
    return refused < 0 ? { admitted: true, counts } : { admitted: false, refused, counts };
  }

  /** The keys and arguments `WINDOWS_LUA` reads for these windows. */
  operands(windows: WindowTake[], now: number): { keys: string[]; args: Array<string | number> } {
    const start = minuteStart(now);
    const keys = windows.flatMap((window) => [this.key(window.id, start), this.key(window.id, start - WINDOW_MS)]);
    const args: Array<string | number> = [String(previousWeight(now)), MINUTE_TTL_MS];
    for (const window of windows) args.push(window.limit, window.need, Math.round(window.add));
    return { keys, args };
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

/** Counts as the scripts return them: current and previous per window. */
export function countsOf(reply: Array<string | number>): WindowCounts[] {
  const counts: WindowCounts[] = [];
  for (let index = 0; index + 1 < reply.length; index += 2) counts.push({ current: Number(reply[index]), previous: Number(reply[index + 1]) });
  return counts;
}
