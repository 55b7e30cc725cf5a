import type { AttemptHandle } from './router.js';
import type { RequestMeta } from './settle.js';
import type { TokenUsage } from './types.js';
import { zeroUsage } from './usage.js';

/**
 * Usage of a stream that ended before the upstream reported any: the prompt at its worst case,
 * the output the client received at one token a byte (no token is smaller), never more than the
 * output held, and the web searches held (the provider bills the ones it ran, which it no longer
 * says).
 */
export function cutStreamUsage(meta: RequestMeta, attempt: AttemptHandle, outputBytes: number): TokenUsage {
  const worst = meta.admitted?.worstCase(attempt.candidate).usage;
  if (!worst) return { ...zeroUsage(), output: outputBytes };
  return { ...zeroUsage(), input: worst.input, output: Math.min(worst.output, outputBytes), ...(worst.webSearches ? { webSearches: worst.webSearches } : {}) };
}
