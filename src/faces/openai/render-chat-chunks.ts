/**
 * V3 stream parts → OpenAI `chat.completion.chunk` objects, one translator per response.
 *
 * The caller writes every returned event with `formatSseData`. After the stream:
 * - if `failed` is false, write `usage(accounting)` when the client asked for usage
 *   (`stream_options.include_usage`), then `SSE_DONE`;
 * - if `failed` is true, the last event written was an in-band `{ error }` object: end the
 *   response without `[DONE]`, so the client sees an error rather than a clean end.
 */
import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import type { Accounting } from '../../core/types.js';
import type { ChatCompletionChunk, ChatCompletionChunkToolCall, ChatFinishReason } from './chat-api.js';
import { mapFinishReason } from './map-finish-reason.js';
import { chatCompletionId } from './render-chat-completion.js';
import { renderStreamError, type OpenAIErrorBody } from './render-error.js';
import { renderUsage } from './render-usage.js';

export type ChatStreamEvent = ChatCompletionChunk | OpenAIErrorBody;

export interface ChatChunkRendererOptions {
  requestId: string;
  /** `provider/model` that serves the stream. */
  servedModel: string;
  provider: string;
  /** Unix seconds, the same on every chunk; defaults to now. */
  created?: number;
}

export interface ChatChunkRenderer {
  /** The opening chunk (`role: 'assistant'`); `part` sends it first if this was not called. */
  start(): ChatStreamEvent[];
  part(part: LanguageModelV3StreamPart): ChatStreamEvent[];
  /** Closes a stream that ended without `finish` or `error` with a `stop` chunk. */
  flush(): ChatStreamEvent[];
  /** The final `choices: []` chunk with usage and cost, once the core has settled. */
  usage(accounting: Accounting): ChatCompletionChunk;
  /** True once an in-band error was emitted: the caller must not send `[DONE]`. */
  readonly failed: boolean;
}

export const SSE_DONE = 'data: [DONE]\n\n';

export function formatSseData(event: unknown): string {
  return `data: ${JSON.stringify(event)}\n\n`;
}

export function isStreamError(event: ChatStreamEvent): event is OpenAIErrorBody {
  return 'error' in event;
}

interface ToolCallState {
  index: number;
  /** Argument text already sent to the client. */
  sent: string;
  /** Text-encoded input deltas are not JSON; send the final input at `tool-call` instead. */
  streamArguments: boolean;
}

export function createChatChunkRenderer(options: ChatChunkRendererOptions): ChatChunkRenderer {
  const id = chatCompletionId(options.requestId);
  const created = options.created ?? Math.floor(Date.now() / 1000);
  let started = false;
  let finished = false;
  let failed = false;
  const toolCalls = new Map<string, ToolCallState>();
  /** Provider-executed tool calls: already run upstream, never shown to an OpenAI client. */
  const hiddenToolCalls = new Set<string>();

  const chunk = (
    delta: ChatCompletionChunk['choices'][number]['delta'],
    finishReason: ChatFinishReason | null = null,
  ): ChatCompletionChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: options.servedModel,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });

  const toolDelta = (call: ChatCompletionChunkToolCall): ChatCompletionChunk =>
    chunk({ tool_calls: [call] });

  const start = (): ChatStreamEvent[] => {
    if (started) return [];
    started = true;
    return [chunk({ role: 'assistant', content: '' })];
  };

  const openToolCall = (toolCallId: string, toolName: string, streamArguments: boolean) => {
    const state: ToolCallState = { index: toolCalls.size, sent: '', streamArguments };
    toolCalls.set(toolCallId, state);
    return {
      state,
      event: toolDelta({
        index: state.index,
        id: toolCallId,
        type: 'function',
        function: { name: toolName, arguments: '' },
      }),
    };
  };

  const translate = (part: LanguageModelV3StreamPart): ChatStreamEvent[] => {
    switch (part.type) {
      case 'text-delta':
        return part.delta === '' ? [] : [chunk({ content: part.delta })];
      case 'reasoning-delta':
        return part.delta === '' ? [] : [chunk({ reasoning: part.delta })];
      case 'tool-input-start': {
        if (part.providerExecuted) {
          hiddenToolCalls.add(part.id);
          return [];
        }
        if (toolCalls.has(part.id)) return [];
        return [openToolCall(part.id, part.toolName, part.inputEncoding !== 'text').event];
      }
      case 'tool-input-delta': {
        const state = toolCalls.get(part.id);
        if (!state || !state.streamArguments || part.delta === '') return [];
        state.sent += part.delta;
        return [toolDelta({ index: state.index, function: { arguments: part.delta } })];
      }
      case 'tool-call': {
        if (part.providerExecuted || hiddenToolCalls.has(part.toolCallId)) return [];
        const events: ChatStreamEvent[] = [];
        let state = toolCalls.get(part.toolCallId);
        if (!state) {
          const opened = openToolCall(part.toolCallId, part.toolName, false);
          state = opened.state;
          events.push(opened.event);
        }
        // Whole input arrived without usable deltas: send it as one fragment.
        if (state.sent === '') {
          const input = part.input === '' ? '{}' : part.input;
          state.sent = input;
          events.push(toolDelta({ index: state.index, function: { arguments: input } }));
        }
        return events;
      }
      case 'finish':
        finished = true;
        return [chunk({}, mapFinishReason(part.finishReason))];
      case 'error':
        failed = true;
        return [renderStreamError(part.error)];
      default:
        // Metadata, boundaries, sources, files and provider-run tool results have no
        // place in a chat completion chunk.
        return [];
    }
  };

  return {
    start,
    part(part) {
      if (finished || failed) return [];
      const events = translate(part);
      if (events.length === 0 || failed) return events;
      return [...start(), ...events];
    },
    flush() {
      if (finished || failed) return [];
      finished = true;
      return [...start(), chunk({}, 'stop')];
    },
    usage(accounting) {
      return {
        id,
        object: 'chat.completion.chunk',
        created,
        model: accounting.servedModel,
        choices: [],
        usage: renderUsage(accounting),
        provider: accounting.provider,
      };
    },
    get failed() {
      return failed;
    },
  };
}
