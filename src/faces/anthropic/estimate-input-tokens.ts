import type { LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { estimatePromptTokens, estimateTextTokens } from '../../core/admission.js';

/**
 * Tollgate's estimate of a request's input tokens: the core's admission estimate of the prompt
 * (about four characters a token, a fixed allowance per image or document, a few tokens per
 * message) plus the tool definitions as JSON at the same rate. It is what count_tokens answers
 * and what message_start says when the upstream has not stated the prompt's size. It is not a
 * tokenizer: real counts differ by model, typically within a few tens of percent for prose.
 */
export function estimateInputTokens(call: Pick<LanguageModelV3CallOptions, 'prompt' | 'tools'>): number {
  const tools = call.tools ?? [];
  return estimatePromptTokens(call.prompt) + (tools.length > 0 ? estimateTextTokens(tools.map((tool) => JSON.stringify(tool))) : 0);
}
