import type { LanguageModelV3CallOptions, LanguageModelV3Prompt } from '@ai-sdk/provider';

/**
 * Tollgate's estimate of a request's input tokens: text at about four characters a token, a
 * fixed allowance per image or document, a few tokens per message, and the tool definitions as
 * JSON at the same rate. It is what count_tokens answers and what message_start says when the
 * upstream has not stated the prompt's size. It is not a tokenizer: real counts differ by model,
 * typically within a few tens of percent for prose. (Budgets hold an upper bound instead, which
 * would make clients that manage their context from this count compact far too early.)
 */
export function estimateInputTokens(call: Pick<LanguageModelV3CallOptions, 'prompt' | 'tools'>): number {
  const tools = call.tools ?? [];
  return promptTokens(call.prompt) + (tools.length > 0 ? textTokens(tools.map((tool) => JSON.stringify(tool))) : 0);
}

function promptTokens(prompt: LanguageModelV3Prompt): number {
  let chars = 0;
  let files = 0;
  for (const message of prompt) {
    if (typeof message.content === 'string') {
      chars += message.content.length;
      continue;
    }
    for (const part of message.content) {
      if (part.type === 'text' || part.type === 'reasoning') chars += part.text.length;
      else if (part.type === 'file') files += 1;
      else if (part.type === 'tool-call') chars += JSON.stringify(part.input ?? '').length;
      else if (part.type === 'tool-result') chars += JSON.stringify(part.output ?? '').length;
    }
  }
  return Math.ceil(chars / 4) + files * 1_500 + prompt.length * 4;
}

function textTokens(texts: readonly string[]): number {
  let chars = 0;
  for (const text of texts) chars += text.length;
  return Math.ceil(chars / 4) + texts.length;
}
