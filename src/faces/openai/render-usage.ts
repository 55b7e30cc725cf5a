import type { Accounting } from '../../core/types.js';
import type { ChatCompletionUsage } from './chat-api.js';

/**
 * Ledger usage → OpenAI's usage object. Our `input` already counts cache reads and writes,
 * as OpenAI's `prompt_tokens` does; `cost` and `cache_write_tokens` are extras in the style of
 * Vercel AI Gateway and OpenRouter.
 */
export function renderUsage({ usage, cost }: Pick<Accounting, 'usage' | 'cost'>): ChatCompletionUsage {
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cacheRead, cache_write_tokens: usage.cacheWrite },
    completion_tokens_details: { reasoning_tokens: usage.reasoning },
    cost,
  };
}
