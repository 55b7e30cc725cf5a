import type { LanguageModelV3Content } from '@ai-sdk/provider';
import type { ChatResult } from '../../core/types.js';
import { mapStopReason } from './map-stop-reason.js';
import { messageId, type Message, type ResponseContentBlock } from './messages-api.js';
import { renderUsage } from './render-usage.js';

/**
 * Canonical result → Anthropic `message`. Provider-executed tool calls and their results are
 * left out: the upstream already ran them, and a client would try to run them again.
 */
export function renderMessage(result: ChatResult, options: { stopSequences?: readonly string[] | undefined } = {}): Message {
  const content = result.content.flatMap(renderBlock);
  return {
    id: messageId(result.requestId),
    type: 'message',
    role: 'assistant',
    model: result.servedModel,
    content,
    ...mapStopReason(result.finishReason, { stopSequences: options.stopSequences }),
    usage: renderUsage(result),
    provider: result.provider,
  };
}

function renderBlock(part: LanguageModelV3Content): ResponseContentBlock[] {
  switch (part.type) {
    case 'text':
      return part.text === '' ? [] : [{ type: 'text', text: part.text }];
    case 'reasoning': {
      const anthropic = part.providerMetadata?.anthropic;
      if (typeof anthropic?.redactedData === 'string') return [{ type: 'redacted_thinking', data: anthropic.redactedData }];
      // Only Anthropic signs its thinking; other providers' reasoning goes out with an empty signature.
      return [{ type: 'thinking', thinking: part.text, signature: typeof anthropic?.signature === 'string' ? anthropic.signature : '' }];
    }
    case 'tool-call':
      if (part.providerExecuted) return [];
      return [{ type: 'tool_use', id: part.toolCallId, name: part.toolName, input: parseToolInput(part.input) }];
    default:
      return [];
  }
}

/** V3 tool input is JSON text; tools without arguments come back empty from some providers. */
export function parseToolInput(input: string): unknown {
  if (input.trim() === '') return {};
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return {};
  }
}
