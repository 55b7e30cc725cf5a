import { GatewayError } from '../core/errors.js';
import type { RateLimitState } from '../core/types.js';

const WINDOW_MS = 60_000;
/** Windows untouched this long are forgotten, so memory stays bounded by active callers. */
const FORGET_AFTER_MS = 2 * WINDOW_MS;

/**
 * A sliding one-minute window, approximated by the current and previous fixed minutes with the
 * previous one weighted by how much of it still overlaps the window (Cloudflare's method): O(1)
 * memory per key, and exact at the boundaries of its error bound.
 */
class SlidingWindow {
  private currentStart = 0;
  private current = 0;
  private previous = 0;
  lastUsed = 0;

  private roll(now: number): void {
    const start = now - (now % WINDOW_MS);
    if (start === this.currentStart) return;
    this.previous = start - this.currentStart === WINDOW_MS ? this.current : 0;
    this.current = 0;
    this.currentStart = start;
  }

  used(now: number): number {
    this.roll(now);
    const overlap = 1 - (now - this.currentStart) / WINDOW_MS;
    return this.previous * overlap + this.current;
  }

  add(now: number, amount: number): void {
    this.roll(now);
    this.current = Math.max(0, this.current + amount);
    this.lastUsed = now;
  }

  /** Seconds until `amount` more would fit under `limit`. */
  secondsUntilFits(now: number, limit: number, amount: number): number {
    this.roll(now);
    const elapsed = now - this.currentStart;
    const spare = limit - this.current - amount;
    if (spare >= 0 && this.previous > 0) {
      // Wait for the previous minute's weight to decay below the spare room.
      const neededOverlap = spare / this.previous;
      return Math.max(0, Math.ceil((WINDOW_MS * (1 - neededOverlap) - elapsed) / 1000));
    }
    return Math.max(1, Math.ceil((WINDOW_MS - elapsed) / 1000));
  }
}

export interface RateRule {
  /** Stable identity: `key:<id>` or `model:<provider/model>`. */
  id: string;
  rpm?: number;
  tpm?: number;
}

export interface RateTicket {
  state: RateLimitState;
  /** Reconciles the tokens held at admission with what the request really used. */
  settle(actualTokens: number): void;
  release(): void;
}

/** RPM and TPM limits over sliding windows, per key and per model. */
export class RateLimiter {
  private readonly windows = new Map<string, SlidingWindow>();
  private sweptAt = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Admits one request holding `estimatedTokens`, or refuses with 429 and when to retry. */
  admit(rules: RateRule[], estimatedTokens: number): RateTicket {
    const now = this.clock();
    this.sweep(now);
    const state: RateLimitState = {};
    for (const rule of rules) {
      if (rule.rpm !== undefined) {
        const window = this.window(`${rule.id}:requests`);
        const used = window.used(now);
        if (used + 1 > rule.rpm) throw refused(rule, 'requests', rule.rpm, used, window.secondsUntilFits(now, rule.rpm, 1));
        tighten(state, 'requests', rule.rpm, rule.rpm - used - 1, window.secondsUntilFits(now, rule.rpm, rule.rpm));
      }
      if (rule.tpm !== undefined) {
        const window = this.window(`${rule.id}:tokens`);
        const used = window.used(now);
        const needed = Math.min(estimatedTokens, rule.tpm);
        if (used + needed > rule.tpm) throw refused(rule, 'tokens', rule.tpm, used, window.secondsUntilFits(now, rule.tpm, needed));
        tighten(state, 'tokens', rule.tpm, rule.tpm - used - estimatedTokens, window.secondsUntilFits(now, rule.tpm, rule.tpm));
      }
    }
    const held: Array<{ window: SlidingWindow; tokens: boolean }> = [];
    for (const rule of rules) {
      if (rule.rpm !== undefined) held.push({ window: this.window(`${rule.id}:requests`), tokens: false });
      if (rule.tpm !== undefined) held.push({ window: this.window(`${rule.id}:tokens`), tokens: true });
    }
    for (const { window, tokens } of held) window.add(now, tokens ? estimatedTokens : 1);
    let open = true;
    const adjustTokens = (delta: number) => {
      const at = this.clock();
      for (const { window, tokens } of held) if (tokens) window.add(at, delta);
    };
    return {
      state,
      settle: (actualTokens) => {
        if (!open) return;
        open = false;
        adjustTokens(actualTokens - estimatedTokens);
      },
      // A request that never reached an upstream gives its tokens back; it still counted as a request.
      release: () => {
        if (!open) return;
        open = false;
        adjustTokens(-estimatedTokens);
      },
    };
  }

  private window(id: string): SlidingWindow {
    let window = this.windows.get(id);
    if (!window) {
      window = new SlidingWindow();
      this.windows.set(id, window);
    }
    return window;
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < WINDOW_MS) return;
    this.sweptAt = now;
    for (const [id, window] of this.windows) if (now - window.lastUsed > FORGET_AFTER_MS) this.windows.delete(id);
  }
}

function tighten(state: RateLimitState, kind: 'requests' | 'tokens', limit: number, remaining: number, resetSeconds: number): void {
  const current = state[kind];
  const value = { limit, remaining: Math.max(0, Math.floor(remaining)), resetSeconds };
  if (!current || value.remaining < current.remaining) state[kind] = value;
}

function refused(rule: RateRule, kind: 'requests' | 'tokens', limit: number, used: number, retryAfter: number): GatewayError {
  const what = rule.id.startsWith('model:') ? `model ${rule.id.slice(6)}` : 'this key';
  return new GatewayError('rate_limited', `rate limit reached for ${what}: ${limit} ${kind} per minute; retry in ${retryAfter} s`, {
    retryAfterSeconds: retryAfter,
    rateLimit: { limit, remaining: Math.max(0, Math.floor(limit - used)), resetSeconds: retryAfter, kind },
  });
}
