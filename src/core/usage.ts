import type { LanguageModelV3Usage } from '@ai-sdk/provider';
import type { TokenUsage } from './types.js';

export const zeroUsage = (): TokenUsage => ({ input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 });

/** V3 usage → ledger usage; `input` counts cached tokens too, whatever the provider's convention. */
export function fromV3Usage(usage: LanguageModelV3Usage | undefined): TokenUsage {
  if (!usage) return zeroUsage();
  const cacheRead = usage.inputTokens.cacheRead ?? 0;
  const cacheWrite = usage.inputTokens.cacheWrite ?? 0;
  const total = usage.inputTokens.total ?? (usage.inputTokens.noCache ?? 0) + cacheRead + cacheWrite;
  return {
    input: total,
    cacheRead,
    cacheWrite,
    output: usage.outputTokens.total ?? (usage.outputTokens.text ?? 0) + (usage.outputTokens.reasoning ?? 0),
    reasoning: usage.outputTokens.reasoning ?? 0,
  };
}

export function addUsage(into: TokenUsage, from: TokenUsage): TokenUsage {
  into.input += from.input;
  into.cacheRead += from.cacheRead;
  into.cacheWrite += from.cacheWrite;
  into.output += from.output;
  into.reasoning += from.reasoning;
  return into;
}

/** Billionths of a USD, the ledger's unit: sums of integers stay exact. */
export function toNanos(costUsd: number | null): number | null {
  return costUsd === null ? null : Math.round(costUsd * 1e9);
}

export function fromNanos(nanos: number | null): number | null {
  return nanos === null ? null : nanos / 1e9;
}
