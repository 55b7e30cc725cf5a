import type { Accounting } from '../../core/types.js';
import type { ResponseUsage } from './responses-api.js';

/**
 * Ledger usage → the Responses usage object. Our `input` counts cache reads and writes, as
 * `input_tokens` does; `cost` (USD or null) and `cache_write_tokens` are Tollgate's extras,
 * the same as on the chat face.
 */
export function renderResponseUsage({ usage, cost }: Pick<Accounting, 'usage' | 'cost'>): ResponseUsage {
  return {
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: usage.cacheRead, cache_write_tokens: usage.cacheWrite },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: usage.reasoning },
    total_tokens: usage.input + usage.output,
    cost,
  };
}
