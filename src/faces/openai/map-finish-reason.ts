import type { LanguageModelV3FinishReason } from '@ai-sdk/provider';
import type { ChatFinishReason } from './chat-api.js';

/**
 * V3 unified finish reason → OpenAI's. OpenAI has no value for an errored or otherwise ended
 * generation; `stop` is what its clients handle without surprise.
 */
export function mapFinishReason(reason: LanguageModelV3FinishReason): ChatFinishReason {
  switch (reason.unified) {
    case 'length':
      return 'length';
    case 'tool-calls':
      return 'tool_calls';
    case 'content-filter':
      return 'content_filter';
    case 'stop':
    case 'error':
    case 'other':
      return 'stop';
  }
}
