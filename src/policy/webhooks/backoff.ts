export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 5, baseMs: 500, maxMs: 30_000 };

/**
 * Wait before the attempt after `failedAttempt` (1-based): exponential, capped, with jitter in
 * the upper half so retries from many deliveries spread out yet never come back at once.
 * A receiver's Retry-After is honoured up to the cap.
 */
export function retryDelayMs(failedAttempt: number, policy: RetryPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** (failedAttempt - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  const wanted = retryAfterMs !== undefined ? Math.max(jittered, retryAfterMs) : jittered;
  return Math.round(Math.min(policy.maxMs, wanted));
}

/** Retry-After is either delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
