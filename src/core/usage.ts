import type { LanguageModelV3Usage, SharedV3ProviderMetadata } from '@ai-sdk/provider';
import type { TokenUsage } from './types.js';

export const zeroUsage = (): TokenUsage => ({ input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 });

/**
 * V3 usage → ledger usage; `input` counts cached tokens too, whatever the provider's convention.
 * Undefined when the upstream reported no counts at all. The provider metadata says which service
 * tier served the request; the raw usage, how many web searches the provider ran.
 */
export function fromV3Usage(usage: LanguageModelV3Usage | undefined, metadata?: SharedV3ProviderMetadata): TokenUsage | undefined {
  if (!usage) return undefined;
  const { inputTokens, outputTokens } = usage;
  if (inputTokens.total === undefined && inputTokens.noCache === undefined && outputTokens.total === undefined && outputTokens.text === undefined) {
    return undefined;
  }
  const cacheRead = inputTokens.cacheRead ?? 0;
  const cacheWrite = inputTokens.cacheWrite ?? 0;
  const total = inputTokens.total ?? (inputTokens.noCache ?? 0) + cacheRead + cacheWrite;
  const converted: TokenUsage = {
    input: total,
    cacheRead,
    cacheWrite,
    output: outputTokens.total ?? (outputTokens.text ?? 0) + (outputTokens.reasoning ?? 0),
    reasoning: outputTokens.reasoning ?? 0,
  };
  // OpenAI's Responses model reports the tier in its metadata; Anthropic's raw usage carries its own.
  const serviceTier = billedServiceTier(metadata?.openai?.serviceTier ?? usage.raw?.service_tier);
  if (serviceTier) converted.serviceTier = serviceTier;
  const webSearches = (usage.raw?.server_tool_use as { web_search_requests?: unknown } | undefined)?.web_search_requests;
  if (webSearches !== undefined && webSearches !== 0) converted.webSearches = webSearches as number;
  return converted;
}

/** Tiers that bill at a model's ordinary prices: OpenAI's `default` (and `auto` before it resolves), Anthropic's `standard`. */
const ORDINARY_TIERS: ReadonlySet<string> = new Set(['default', 'auto', 'standard']);

/** The tier an upstream reported serving at, when it is one that may be priced apart. */
export function billedServiceTier(reported: unknown): string | undefined {
  return typeof reported === 'string' && reported !== '' && !ORDINARY_TIERS.has(reported) ? reported : undefined;
}

/** More tokens than any model reads or writes in one request: a count above it is not believed. */
export const MAX_REPORTED_TOKENS = 100_000_000;

/** More web searches than one request runs: a count above it is not believed. */
export const MAX_REPORTED_SEARCHES = 10_000;

/**
 * Why reported usage cannot be billed as it stands (a count that is not a whole number between 0
 * and MAX_REPORTED_TOKENS, or parts larger than their whole), or null when it can.
 */
export function usageProblem(usage: TokenUsage): string | null {
  for (const field of ['input', 'cacheRead', 'cacheWrite', 'output', 'reasoning'] as const) {
    const value: unknown = usage[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_REPORTED_TOKENS) {
      return `${field} is not a whole number of tokens between 0 and ${MAX_REPORTED_TOKENS}`;
    }
  }
  const searches: unknown = usage.webSearches;
  if (searches !== undefined && (typeof searches !== 'number' || !Number.isInteger(searches) || searches < 0 || searches > MAX_REPORTED_SEARCHES)) {
    return `webSearches is not a whole number between 0 and ${MAX_REPORTED_SEARCHES}`;
  }
  if (usage.cacheRead + usage.cacheWrite > usage.input) return 'cached tokens exceed the input tokens';
  if (usage.reasoning > usage.output) return 'reasoning tokens exceed the output tokens';
  return null;
}

export function addUsage(into: TokenUsage, from: TokenUsage): TokenUsage {
  into.input += from.input;
  into.cacheRead += from.cacheRead;
  into.cacheWrite += from.cacheWrite;
  into.output += from.output;
  into.reasoning += from.reasoning;
  if (from.webSearches) into.webSearches = (into.webSearches ?? 0) + from.webSearches;
  return into;
}

/** Billionths of a USD, the ledger's unit: sums of integers stay exact. */
export function toNanos(costUsd: number | null): number | null {
  return costUsd === null ? null : Math.round(costUsd * 1e9);
}

export function fromNanos(nanos: number | null): number | null {
  return nanos === null ? null : nanos / 1e9;
}
