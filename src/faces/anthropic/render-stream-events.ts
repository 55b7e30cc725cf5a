/**
 * V3 stream parts → Anthropic's SSE events, one renderer per response:
 *
 *   message_start, then per content block content_block_start / content_block_delta… /
 *   content_block_stop (indexes 0, 1, … in order; one block open at a time), a `ping` after the
 *   first block opens (as Anthropic sends it), then message_delta (stop_reason, usage),
 *   message_stop.
 *
 * Usage. The core reports real usage only once the stream has ended (`ChatStream.settled`), so
 * the final `message_delta` carries the whole of it — input_tokens (cache excluded),
 * cache_read_input_tokens, cache_creation_input_tokens, output_tokens and Tollgate's `cost` —
 * as cumulative totals, which Anthropic's SDK copies over what message_start said.
 * `message_start` goes out with the first content part (the core has read ahead to it, so
 * this costs no latency) and carries the best input figure known by then: the upstream's own
 * count when its wire format states it before content (Anthropic's message_start, Gemini's
 * usageMetadata; see read-early-usage.ts), otherwise Tollgate's estimate of the prompt (about
 * four characters a token, count_tokens' figure). Its output_tokens is 0.
 *
 * The caller writes every returned event with `formatSseEvent`. When the parts are exhausted:
 * if `failed` is false, write `end(await stream.settled)`; if it is true, the last event was an
 * in-band `event: error` and the response ends there, without message_stop.
 */
import type { LanguageModelV3FinishReason, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import type { Accounting } from '../../core/types.js';
import { mapStopReason, reportedStopSequence } from './map-stop-reason.js';
import { messageId, type MessageUsage } from './messages-api.js';
import { readEarlyUsage, type EarlyInputUsage } from './read-early-usage.js';
import { renderStreamError } from './render-error.js';
import { parseToolInput } from './render-message.js';
import { renderUsage } from './render-usage.js';

export interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

export function formatSseEvent(event: StreamEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export interface MessageStreamRendererOptions {
  requestId: string;
  /** `provider/model` that serves the stream. */
  servedModel: string;
  provider: string;
  /** Tollgate's estimate of the prompt, used in message_start when the upstream stated none. */
  estimatedInputTokens: number;
  /** The request's stop sequences, to name the one that matched. */
  stopSequences?: readonly string[] | undefined;
}

export interface MessageStreamRenderer {
  part(part: LanguageModelV3StreamPart): StreamEvent[];
  /** Closes what is open and sends message_delta (stop_reason, final usage) and message_stop. */
  end(accounting: Accounting): StreamEvent[];
  /** True once an in-band error was emitted: the caller must end the response without more events. */
  readonly failed: boolean;
}

type OpenBlock =
  | { kind: 'text'; id: string; index: number }
  | { kind: 'thinking'; id: string; index: number }
  | { kind: 'tool'; id: string; index: number; sent: string; streamInput: boolean };

export function createMessageStreamRenderer(options: MessageStreamRendererOptions): MessageStreamRenderer {
  let started = false;
  let pinged = false;
  let failed = false;
  let early: EarlyInputUsage | undefined;
  let nextIndex = 0;
  let open: OpenBlock | undefined;
  /** Parts that arrived while a tool_use block was still receiving its input: replayed after it. */
  const queued: LanguageModelV3StreamPart[] = [];
  /** Provider-executed tool calls: already run upstream, never shown to the client. */
  const hidden = new Set<string>();
  let finishReason: LanguageModelV3FinishReason = { unified: 'stop', raw: undefined };
  let matchedSequence: string | null = null;

  const event = (name: string, data: Record<string, unknown>): StreamEvent => ({ event: name, data: { type: name, ...data } });

  const messageStart = (): StreamEvent[] => {
    if (started) return [];
    started = true;
    const usage: MessageUsage = early
      ? { ...early, output_tokens: 0 }
      : { input_tokens: options.estimatedInputTokens, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    return [
      event('message_start', {
        message: {
          id: messageId(options.requestId),
          type: 'message',
          role: 'assistant',
          model: options.servedModel,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage,
          provider: options.provider,
        },
      }),
    ];
  };

  const close = (): StreamEvent[] => {
    if (!open) return [];
    const events: StreamEvent[] = [];
    // A tool_use block always carries its input: an empty one is `{}`.
    if (open.kind === 'tool' && open.sent === '') events.push(event('content_block_delta', { index: open.index, delta: { type: 'input_json_delta', partial_json: '{}' } }));
    events.push(event('content_block_stop', { index: open.index }));
    open = undefined;
    return events;
  };

  const begin = (block: OpenBlock, contentBlock: Record<string, unknown>): StreamEvent[] => {
    const events = [...close(), event('content_block_start', { index: block.index, content_block: contentBlock })];
    open = block;
    if (!pinged) {
      pinged = true;
      events.push(event('ping', {}));
    }
    return events;
  };

  const ensureText = (id: string): StreamEvent[] =>
    open?.kind === 'text' && open.id === id ? [] : begin({ kind: 'text', id, index: nextIndex++ }, { type: 'text', text: '' });

  const ensureThinking = (id: string): StreamEvent[] =>
    open?.kind === 'thinking' && open.id === id
      ? []
      : begin({ kind: 'thinking', id, index: nextIndex++ }, { type: 'thinking', thinking: '', signature: '' });

  const beginTool = (id: string, name: string, streamInput: boolean): StreamEvent[] =>
    begin({ kind: 'tool', id, index: nextIndex++, sent: '', streamInput }, { type: 'tool_use', id, name, input: {} });

  /** A tool_use block takes its input in order: other content waits until the call is complete. */
  const waitsForTool = (part: LanguageModelV3StreamPart): boolean => {
    if (open?.kind !== 'tool') return false;
    switch (part.type) {
      case 'tool-input-delta':
      case 'tool-input-end':
        return part.id !== open.id;
      case 'tool-call':
        return part.toolCallId !== open.id;
      case 'text-delta':
      case 'reasoning-start':
      case 'reasoning-delta':
      case 'tool-input-start':
      case 'finish':
        return true;
      default:
        return false;
    }
  };

  const translate = (part: LanguageModelV3StreamPart): StreamEvent[] => {
    switch (part.type) {
      case 'text-delta':
        if (part.delta === '') return [];
        return [...ensureText(part.id), event('content_block_delta', { index: open!.index, delta: { type: 'text_delta', text: part.delta } })];
      case 'text-end':
        return open?.kind === 'text' && open.id === part.id ? close() : [];
      case 'reasoning-start': {
        const redacted = part.providerMetadata?.anthropic?.redactedData;
        if (typeof redacted !== 'string') return [];
        return [...begin({ kind: 'thinking', id: part.id, index: nextIndex++ }, { type: 'redacted_thinking', data: redacted }), ...close()];
      }
      case 'reasoning-delta': {
        const events: StreamEvent[] = [];
        if (part.delta !== '') {
          events.push(...ensureThinking(part.id), event('content_block_delta', { index: open!.index, delta: { type: 'thinking_delta', thinking: part.delta } }));
        }
        const signature = part.providerMetadata?.anthropic?.signature;
        if (typeof signature === 'string') {
          events.push(...ensureThinking(part.id), event('content_block_delta', { index: open!.index, delta: { type: 'signature_delta', signature } }));
        }
        return events;
      }
      case 'reasoning-end':
        return open?.kind === 'thinking' && open.id === part.id ? close() : [];
      case 'tool-input-start':
        if (part.providerExecuted) {
          hidden.add(part.id);
          return [];
        }
        // Text-encoded deltas are not JSON: the whole input goes out with the tool-call part.
        return beginTool(part.id, part.toolName, part.inputEncoding !== 'text');
      case 'tool-input-delta': {
        if (open?.kind !== 'tool' || open.id !== part.id || !open.streamInput || part.delta === '') return [];
        open.sent += part.delta;
        return [event('content_block_delta', { index: open.index, delta: { type: 'input_json_delta', partial_json: part.delta } })];
      }
      case 'tool-call': {
        if (part.providerExecuted || hidden.has(part.toolCallId)) return [];
        const events = open?.kind === 'tool' && open.id === part.toolCallId ? [] : beginTool(part.toolCallId, part.toolName, false);
        const block = open as Extract<OpenBlock, { kind: 'tool' }>;
        if (block.sent === '') {
          // The whole input at once, normalised to a JSON object as tool_use requires.
          block.sent = JSON.stringify(parseToolInput(part.input));
          events.push(event('content_block_delta', { index: block.index, delta: { type: 'input_json_delta', partial_json: block.sent } }));
        }
        events.push(...close());
        for (const waiting of queued.splice(0)) events.push(...handle(waiting));
        return events;
      }
      case 'finish':
        finishReason = part.finishReason;
        matchedSequence = reportedStopSequence(part.providerMetadata);
        return close();
      default:
        // Metadata, sources, files and provider-run tool results have no Anthropic event here.
        return [];
    }
  };

  const handle = (part: LanguageModelV3StreamPart): StreamEvent[] => {
    if (failed) return [];
    if (part.type === 'raw') {
      if (!started) early ??= readEarlyUsage(part.rawValue);
      return [];
    }
    if (part.type === 'error') {
      failed = true;
      return [{ event: 'error', data: { ...renderStreamError(part.error, options.requestId) } }];
    }
    if (waitsForTool(part)) {
      queued.push(part);
      return [];
    }
    const events = translate(part);
    return events.length > 0 ? [...messageStart(), ...events] : events;
  };

  return {
    part: handle,
    end(accounting) {
      if (failed) return [];
      // A tool call the stream never completed is closed with what it sent; what waited behind it follows.
      const events = [...messageStart(), ...close()];
      while (queued.length > 0) {
        for (const waiting of queued.splice(0)) events.push(...handle(waiting));
        events.push(...close());
      }
      events.push(
        event('message_delta', {
          delta: mapStopReason(finishReason, { stopSequences: options.stopSequences, matchedSequence }),
          usage: renderUsage(accounting),
        }),
        event('message_stop', {}),
      );
      return events;
    },
    get failed() {
      return failed;
    },
  };
}
