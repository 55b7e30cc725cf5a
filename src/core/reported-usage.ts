/**
 * Usage an upstream reported for an attempt that then failed. A provider may bill such an
 * attempt (it had started generating), so what it said it used is recorded and charged.
 */
import { APICallError } from '@ai-sdk/provider';
import type { TokenUsage } from './types.js';
import { usageProblem } from './usage.js';

const REPORTED = Symbol('tollgate.reportedUsage');

/** Marks a failure with the usage seen before it; other values pass unchanged. */
export function withReportedUsage<E>(error: E, usage: TokenUsage | undefined): E {
  if (usage && error !== null && typeof error === 'object') (error as { [REPORTED]?: TokenUsage })[REPORTED] = usage;
  return error;
}

/**
 * The usage a failed attempt is known to have used: what the stream reported before it failed, or
 * a `usage` object in the error's body (OpenAI's or Anthropic's field names). Counts that cannot
 * be believed are dropped: nothing is known then.
 */
export function reportedUsageOf(error: unknown): TokenUsage | undefined {
  const marked = error !== null && typeof error === 'object' ? (error as { [REPORTED]?: TokenUsage })[REPORTED] : undefined;
  const usage = marked ?? (APICallError.isInstance(error) ? usageInBody(error.responseBody) : undefined);
  return usage && usageProblem(usage) === null ? usage : undefined;
}

function usageInBody(body: string | undefined): TokenUsage | undefined {
  if (!body || !body.includes('usage')) return undefined;
  let parsed: { usage?: unknown; error?: { usage?: unknown } };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return undefined;
  }
  const usage = (parsed?.usage ?? parsed?.error?.usage) as Record<string, unknown> | undefined;
  if (!usage || typeof usage !== 'object') return undefined;
  const count = (value: unknown) => (value === undefined || value === null ? 0 : (value as number));
  if ('prompt_tokens' in usage || 'completion_tokens' in usage) {
    const prompt = (usage.prompt_tokens_details ?? {}) as Record<string, unknown>;
    const completion = (usage.completion_tokens_details ?? {}) as Record<string, unknown>;
    return {
      input: count(usage.prompt_tokens),
      cacheRead: count(prompt.cached_tokens),
      cacheWrite: 0,
      output: count(usage.completion_tokens),
      reasoning: count(completion.reasoning_tokens),
    };
  }
  if ('input_tokens' in usage || 'output_tokens' in usage) {
    const cacheRead = count(usage.cache_read_input_tokens);
    const cacheWrite = count(usage.cache_creation_input_tokens);
    // Anthropic's input_tokens leaves out the cached ones; the ledger's input includes them.
    return { input: count(usage.input_tokens) + cacheRead + cacheWrite, cacheRead, cacheWrite, output: count(usage.output_tokens), reasoning: 0 };
  }
  return undefined;
}
