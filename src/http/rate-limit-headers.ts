import type { RateLimitState } from '../core/types.js';
import type { GatewayErrorDetails } from '../core/errors.js';

/** OpenAI's `x-ratelimit-*` headers for the windows that applied; reset as a duration like `12s`. */
export function rateLimitHeaders(state: RateLimitState | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const kind of ['requests', 'tokens'] as const) {
    const window = state?.[kind];
    if (!window) continue;
    headers[`x-ratelimit-limit-${kind}`] = String(window.limit);
    headers[`x-ratelimit-remaining-${kind}`] = String(window.remaining);
    headers[`x-ratelimit-reset-${kind}`] = `${window.resetSeconds}s`;
  }
  return headers;
}

/** The same headers for a 429: the refusing window at zero. */
export function refusalHeaders(details: GatewayErrorDetails): Record<string, string> {
  const refused = details.rateLimit;
  if (!refused) return {};
  return rateLimitHeaders({ [refused.kind]: { limit: refused.limit, remaining: 0, resetSeconds: refused.resetSeconds } });
}
