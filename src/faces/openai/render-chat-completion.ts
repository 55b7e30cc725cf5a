import type { ChatResult } from '../../core/types.js';
import type { ChatCompletion, ChatCompletionToolCall } from './chat-api.js';
import { mapFinishReason } from './map-finish-reason.js';
import { renderUsage } from './render-usage.js';

export interface RenderChatCompletionOptions {
  /** Unix seconds; defaults to now. */
  created?: number;
}

/** The completion id both renderers use, so a request's stream and ledger row share it. */
export function chatCompletionId(requestId: string): string {
  return `chatcmpl-${requestId}`;
}

/**
 * Canonical result → OpenAI `chat.completion`. Provider-executed tool calls and their results
 * are left out: the upstream already ran them, and an OpenAI client would try to run them again.
 */
export function renderChatCompletion(
  result: ChatResult,
  options: RenderChatCompletionOptions = {},
): ChatCompletion {
  let text = '';
  let reasoning = '';
  const toolCalls: ChatCompletionToolCall[] = [];
  for (const part of result.content) {
    switch (part.type) {
      case 'text':
        text += part.text;
        break;
      case 'reasoning':
        reasoning += part.text;
        break;
      case 'tool-call':
        if (part.providerExecuted) break;
        toolCalls.push({
          id: part.toolCallId,
          type: 'function',
          function: { name: part.toolName, arguments: part.input === '' ? '{}' : part.input },
        });
        break;
      default:
        break;
    }
  }

  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    // OpenAI sends null content when the model only called tools.
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== '') message.reasoning = reasoning;

  return {
    id: chatCompletionId(result.requestId),
    object: 'chat.completion',
    created: options.created ?? Math.floor(Date.now() / 1000),
    model: result.servedModel,
    choices: [{ index: 0, message, logprobs: null, finish_reason: mapFinishReason(result.finishReason) }],
    usage: renderUsage(result),
    provider: result.provider,
  };
}
