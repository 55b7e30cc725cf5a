import type { LanguageModelV3CallOptions } from '@ai-sdk/provider';
import type { AttemptHandle } from './router.js';
import type { RequestMeta } from './settle.js';
import type { TokenUsage } from './types.js';
import { zeroUsage } from './usage.js';

/**
 * Usage of a stream that ended before the upstream reported any: the prompt at its worst case,
 * and the output the client received at one token a byte (no token is smaller), never more than
 * the output held.
 */
export function cutStreamUsage(meta: RequestMeta, attempt: AttemptHandle, outputBytes: number): TokenUsage {
  const worst = meta.admitted?.worstCase(attempt.candidate).usage;
  if (!worst) return { ...zeroUsage(), output: outputBytes };
  return { ...zeroUsage(), input: worst.input, output: Math.min(worst.output, outputBytes) };
}

/** The call with the output cap admission holds for this candidate, when the request set none. */
export function withOutputCap(call: LanguageModelV3CallOptions, meta: RequestMeta, attempt: AttemptHandle): LanguageModelV3CallOptions {
  const cap = meta.admitted?.outputCap(attempt.candidate);
  return cap === undefined ? call : { ...call, maxOutputTokens: cap };
}
