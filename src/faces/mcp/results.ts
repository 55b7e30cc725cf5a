/**
 * Pieces every tool result shares: the usage shape, the annotations, and the rule that a result
 * carries both `structuredContent` (for clients that read the output schema) and a text block
 * (for clients and models that only read text).
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { TokenUsage } from '../../core/types.js';
import { count } from './tool-schema.js';

export const UsageSchema = z.object({
  input_tokens: count,
  output_tokens: count,
  cache_read_tokens: count,
  cache_write_tokens: count,
  reasoning_tokens: count,
});
export type UsageOutput = z.infer<typeof UsageSchema>;

export function toUsageOutput(usage: TokenUsage): UsageOutput {
  return {
    input_tokens: usage.input,
    output_tokens: usage.output,
    cache_read_tokens: usage.cacheRead,
    cache_write_tokens: usage.cacheWrite,
    reasoning_tokens: usage.reasoning,
  };
}

export function formatCost(cost: number | null): string {
  return cost === null ? 'cost unknown (no price for this model)' : `cost $${cost.toFixed(6)}`;
}

/**
 * Annotations of the tools that call a model: each call is billed and written to the spend
 * ledger (not read-only, not idempotent) and reaches outside services (open world), which are
 * the defaults the spec gives hints; it touches nothing of the caller's (not destructive).
 */
export const modelCallAnnotations = { destructiveHint: false } as const;

/** Annotations of the tools that only read the gateway's own catalog or ledger. */
export const readOnlyAnnotations = { readOnlyHint: true, openWorldHint: false } as const;

/** Texts longer than this are cut in the text block; the structured content stays whole. */
export const MAX_TEXT_BLOCK_CHARS = 16_000;

export function capText(text: string, max = MAX_TEXT_BLOCK_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n… (${text.length - max} more characters; read structuredContent for all of it)`;
}

export function structuredResult<T extends Record<string, unknown>>(structured: T, text: string): CallToolResult {
  return { content: [{ type: 'text', text: capText(text) }], structuredContent: structured };
}
