import type { Accounting, TokenUsage } from '../../core/types.js';
import type { MessageUsage } from './messages-api.js';

/**
 * Ledger usage → Anthropic's usage. The ledger's `input` counts cache reads and writes
 * (OpenAI's convention); Anthropic's `input_tokens` is what remains after both, with the two
 * cache buckets beside it. `cost` (USD, null when unpriced) is Tollgate's own field.
 */
export function renderUsage({ usage, cost }: Pick<Accounting, 'usage' | 'cost'>): Required<MessageUsage> {
  return { ...renderTokenUsage(usage), cost };
}

export function renderTokenUsage(usage: TokenUsage): MessageUsage {
  return {
    input_tokens: Math.max(0, usage.input - usage.cacheRead - usage.cacheWrite),
    output_tokens: usage.output,
    cache_creation_input_tokens: usage.cacheWrite,
    cache_read_input_tokens: usage.cacheRead,
  };
}
