import { GatewayError } from '../core/errors.js';
import type { RateLimitState } from '../core/types.js';
import type { StoreOutage } from './state/outage.js';
import { secondsUntilFits, windowUse } from './state/sliding-window.js';
import type { RateWindows, WindowTake } from './state/types.js';

export interface RateRule {
  /** Stable identity: `key:<id>` or `model:<provider/model>`. */
  id: string;
  rpm?: number;
  tpm?: number;
}

export interface RateTicket {
  state: RateLimitState;
  /** Reconciles the tokens held at admission with what the request really used. Never rejects. */
  settle(actualTokens: number): Promise<void>;
  /** Gives the held tokens back; the request still counted as a request. Never rejects. */
  release(): Promise<void>;
}

interface Window extends WindowTake {
  rule: RateRule;
  kind: 'requests' | 'tokens';
}

/** RPM and TPM limits over sliding one-minute windows, per key and per model. */
export class RateLimiter {
  constructor(
    private readonly windows: RateWindows,
    private readonly outage: StoreOutage,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Admits one request holding `estimatedTokens`, or refuses with 429 and when to retry. */
  async admit(rules: RateRule[], estimatedTokens: number): Promise<RateTicket> {
    const now = this.clock();
    const windows: Window[] = [];
    for (const rule of rules) {
      if (rule.rpm !== undefined) windows.push({ rule, kind: 'requests', id: `${rule.id}:requests`, limit: rule.rpm, need: 1, add: 1 });
      if (rule.tpm !== undefined) {
        windows.push({ rule, kind: 'tokens', id: `${rule.id}:tokens`, limit: rule.tpm, need: Math.min(estimatedTokens, rule.tpm), add: estimatedTokens });
      }
    }
    let outcome;
    try {
      outcome = await this.windows.take(windows.map(({ id, limit, need, add }) => ({ id, limit, need, add })), now);
      this.outage.checked();
    } catch (error) {
      this.outage.checkFailed(error, 'the rate limit');
      return { state: {}, settle: async () => undefined, release: async () => undefined };
    }
    if (!outcome.admitted) {
      const window = windows[outcome.refused]!;
      const counts = outcome.counts[outcome.refused]!;
      throw refused(window, windowUse(counts, now), secondsUntilFits(counts, now, window.limit, window.need));
    }
    const state: RateLimitState = {};
    windows.forEach((window, index) => {
      const counts = outcome.counts[index]!;
      tighten(state, window.kind, window.limit, window.limit - windowUse(counts, now) - window.add, secondsUntilFits(counts, now, window.limit, window.limit));
    });
    const tokenWindows = windows.filter((window) => window.kind === 'tokens').map((window) => window.id);
    let open = true;
    const adjustTokens = async (delta: number) => {
      if (!open) return;
      open = false;
      await this.windows.adjust(tokenWindows, delta, this.clock()).catch((error: unknown) => this.outage.lost(error, 'a rate-limit reconciliation'));
    };
    return {
      state,
      settle: (actualTokens) => adjustTokens(actualTokens - estimatedTokens),
      // A request that never reached an upstream gives its tokens back; it still counted as a request.
      release: () => adjustTokens(-estimatedTokens),
    };
  }
}

function tighten(state: RateLimitState, kind: 'requests' | 'tokens', limit: number, remaining: number, resetSeconds: number): void {
  const current = state[kind];
  const value = { limit, remaining: Math.max(0, Math.floor(remaining)), resetSeconds };
  if (!current || value.remaining < current.remaining) state[kind] = value;
}

function refused(window: Window, used: number, retryAfter: number): GatewayError {
  const { rule, kind, limit } = window;
  const what = rule.id.startsWith('model:') ? `model ${rule.id.slice(6)}` : 'this key';
  return new GatewayError('rate_limited', `rate limit reached for ${what}: ${limit} ${kind} per minute; retry in ${retryAfter} s`, {
    retryAfterSeconds: retryAfter,
    rateLimit: { limit, remaining: Math.max(0, Math.floor(limit - used)), resetSeconds: retryAfter, kind },
  });
}
