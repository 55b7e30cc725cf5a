import type { LanguageModelV3Prompt, LanguageModelV3Usage } from '@ai-sdk/provider';
import { countWords } from './words.js';

/**
 * Usage rule of the echo model, stable so that budgets and ledgers can be tested offline:
 * input tokens = words across all prompt text (system text, text and reasoning parts, tool-call
 * inputs and tool results as JSON) + 3 per message (role overhead, as real chat formats have);
 * output tokens = words answered. Nothing is cached; there is no reasoning.
 */
export function countPromptTokens(prompt: LanguageModelV3Prompt): number {
  let tokens = 0;
  for (const message of prompt) {
    tokens += 3;
    if (message.role === 'system') {
      tokens += countWords(message.content);
      continue;
    }
    for (const part of message.content) {
      switch (part.type) {
        case 'text':
        case 'reasoning':
          tokens += countWords(part.text);
          break;
        case 'tool-call':
          tokens += countWords(JSON.stringify(part.input) ?? '');
          break;
        case 'tool-result':
          tokens += countWords(JSON.stringify('value' in part.output ? part.output.value : part.output) ?? '');
          break;
        default:
          // Files and approval responses carry no words.
          break;
      }
    }
  }
  return tokens;
}

export function mockUsage(inputTokens: number, outputTokens: number): LanguageModelV3Usage {
  return {
    inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  };
}
