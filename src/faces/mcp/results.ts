/**
 * Pieces every tool result shares: the usage shape, the cost field, and the rule that a result
 * carries both `structuredContent` (for clients that read the output schema) and a text block
 * (for clients and models that only read text).
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { TokenUsage } from '../../core/types.js';

export const UsageSchema = z.object({
  input_tokens: z.number().int().nonnegative().describe('Input tokens, including cache reads and writes.'),
  output_tokens: z.number().int().nonnegative(),
  cache_read_tokens: z.number().int().nonnegative(),
  cache_write_tokens: z.number().int().nonnegative(),
  reasoning_tokens: z.number().int().nonnegative(),
});
export type UsageOutput = z.infer<typeof UsageSchema>;

export const CostSchema = z
  .number()
  .nonnegative()
  .nullable()
  .describe('USD charged for this call; null when the model has no known price.');

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
 * ledger (not read-only, not idempotent), touches nothing of the caller's (not destructive),
 * and reaches outside services (open world).
 */
export const modelCallAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: true,
} as const;

/** Texts longer than this are cut in the text block; the structured content stays whole. */
export const MAX_TEXT_BLOCK_CHARS = 16_000;

export function capText(text: string, max = MAX_TEXT_BLOCK_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n… (${text.length - max} more characters; read structuredContent for all of it)`;
}

export function structuredResult<T extends Record<string, unknown>>(structured: T, text: string): CallToolResult {
  return { content: [{ type: 'text', text: capText(text) }], structuredContent: structured };
}
