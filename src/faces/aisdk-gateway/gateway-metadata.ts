/**
 * Tollgate's accounting in the places an AI SDK user reads it: `providerMetadata.gateway` and
 * `usage`. Field names follow Vercel AI Gateway's own metadata (`cost` and `marketCost` as USD
 * decimal strings, `generationId`, `routing.{originalModelId, resolvedProvider,
 * resolvedProviderApiModelId, canonicalSlug, finalProvider, totalProviderAttemptCount}`), so code
 * written against Vercel's reads Tollgate's unchanged. A model with no known price has no `cost`
 * (never a silent 0) and says so in `costUnknown`.
 */
import type { JSONObject, LanguageModelV3Usage } from '@ai-sdk/provider';
import type { Accounting, TokenUsage } from '../../core/types.js';
import { usdText, usdToNanos } from '../../core/usd-text.js';

export interface GatewayMetadataInput {
  requestId: string;
  /** What the client asked for (`provider/model`). */
  requestedModel: string;
  servedModel: string;
  provider: string;
  attempts: number;
  cost: number | null;
}

export function gatewayMetadata(input: GatewayMetadataInput): JSONObject {
  const slash = input.servedModel.indexOf('/');
  const routing: JSONObject = {
    originalModelId: input.requestedModel,
    resolvedProvider: input.provider,
    resolvedProviderApiModelId: slash === -1 ? input.servedModel : input.servedModel.slice(slash + 1),
    canonicalSlug: input.servedModel,
    finalProvider: input.provider,
    totalProviderAttemptCount: input.attempts,
  };
  const money = input.cost === null ? { costUnknown: true } : { cost: usdText(usdToNanos(input.cost)), marketCost: usdText(usdToNanos(input.cost)) };
  return { generationId: input.requestId, ...money, routing };
}

export function accountingMetadata(accounting: Accounting, requestedModel: string): { gateway: JSONObject } {
  return {
    gateway: gatewayMetadata({
      requestId: accounting.requestId,
      requestedModel,
      servedModel: accounting.servedModel,
      provider: accounting.provider,
      attempts: accounting.attempts,
      cost: accounting.cost,
    }),
  };
}

/** Ledger usage → V3 usage (input counts cache reads and writes; output counts reasoning). */
export function toV3Usage(usage: TokenUsage): LanguageModelV3Usage {
  return {
    inputTokens: {
      total: usage.input,
      noCache: Math.max(0, usage.input - usage.cacheRead - usage.cacheWrite),
      cacheRead: usage.cacheRead,
      cacheWrite: usage.cacheWrite,
    },
    outputTokens: { total: usage.output, text: Math.max(0, usage.output - usage.reasoning), reasoning: usage.reasoning },
  };
}
