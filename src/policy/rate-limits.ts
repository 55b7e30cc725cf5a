import { GatewayError } from '../core/errors.js';
import type { RateLimitState } from '../core/types.js';
import type { StoreOutage } from './state/outage.js';
import { secondsUntilFits, windowUse } from './state/sliding-window.js';
import type { RateWindows, WindowCounts, WindowTake } from './state/types.js';

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

/** A request's windows, worked out before they are taken; what they said is turned into a ticket or a refusal. */
export interface RatePlan {
  readonly windows: WindowTake[];
  /** The 429 for the window (index) with no room, from the counts seen at `now`. */
  refusal(window: number, counts: WindowCounts[], now: number): GatewayError;
  /** The ticket of windows taken at `now`, from the counts seen before adding. */
  admitted(counts: WindowCounts[], now: number): RateTicket;
  /** The store was out of reach and limits are off: nothing to reconcile. */
  unchecked(): RateTicket;
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
  admit(rules: RateRule[], estimatedTokens: number): Promise<RateTicket> {
    return this.take(this.plan(rules, estimatedTokens));
  }

  /** Takes a plan's windows on their own (no budget hold to take them with). */
  async take(plan: RatePlan): Promise<RateTicket> {
    const now = this.clock();
    let outcome;
    try {
      outcome = await this.windows.take(plan.windows, now);
      this.outage.checked();
    } catch (error) {
      this.outage.checkFailed(error, 'the rate limit');
      return plan.unchecked();
    }
    if (!outcome.admitted) throw plan.refusal(outcome.refused, outcome.counts, now);
    return plan.admitted(outcome.counts, now);
  }

  /** The windows a request takes, for whoever takes them: `admit`, or a budget hold taking them in the same step. */
  plan(rules: RateRule[], estimatedTokens: number): RatePlan {
    const windows: Window[] = [];
    for (const rule of rules) {
      if (rule.rpm !== undefined) windows.push({ rule, kind: 'requests', id: `${rule.id}:requests`, limit: rule.rpm, need: 1, add: 1 });
      if (rule.tpm !== undefined) {
        windows.push({ rule, kind: 'tokens', id: `${rule.id}:tokens`, limit: rule.tpm, need: Math.min(estimatedTokens, rule.tpm), add: estimatedTokens });
      }
    }
    return {
      windows: windows.map(({ id, limit, need, add }) => ({ id, limit, need, add })),
      refusal: (index, counts, now) => {
        const window = windows[index]!;
        const seen = counts[index]!;
        return refused(window, windowUse(seen, now), secondsUntilFits(seen, now, window.limit, window.need));
      },
      admitted: (counts, now) => this.ticket(windows, counts, now, estimatedTokens),
      unchecked: () => ({ state: {}, settle: async () => undefined, release: async () => undefined }),
    };
  }

  private ticket(windows: Window[], counts: WindowCounts[], now: number, estimatedTokens: number): RateTicket {
    const state: RateLimitState = {};
    windows.forEach((window, index) => {
      const seen = counts[index]!;
      tighten(state, window.kind, window.limit, window.limit - windowUse(seen, now) - window.add, secondsUntilFits(seen, now, window.limit, window.limit));
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
