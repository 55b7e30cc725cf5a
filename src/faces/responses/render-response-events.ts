/**
 * V3 stream parts → Responses API streaming events, one renderer per response, in OpenAI's
 * documented order: `response.created`, `response.in_progress`, then per output item
 * `output_item.added` … its deltas … `output_item.done`, and last exactly one of
 * `response.completed`, `response.incomplete` (length or content filter) or `response.failed`
 * (the upstream broke after the answer had started), carrying usage and cost.
 *
 * The caller writes `start()`, then `part()` for every part, then `end(accounting)` once the
 * core has settled the request. Every event carries the next `sequence_number`.
 */
import type { LanguageModelV3FinishReason, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import type { Accounting } from '../../core/types.js';
import { renderStreamError } from '../openai/render-error.js';
import { mapResponseStatus } from './map-response-status.js';
import { outputItemId, responseShell, type ResponseIdentity } from './render-response.js';
import { renderResponseUsage } from './render-usage.js';
import type {
  OutputFunctionCall,
  OutputItem,
  OutputMessage,
  OutputReasoning,
  ResponseEventBody,
  ResponseObject,
  ResponseStreamEvent,
} from './responses-api.js';

export interface ResponseEventRenderer {
  /** `response.created` and `response.in_progress`. */
  start(): ResponseStreamEvent[];
  part(part: LanguageModelV3StreamPart): ResponseStreamEvent[];
  /** Closes open items and ends the response with its usage and cost. */
  end(accounting: Accounting): ResponseStreamEvent[];
  /** True once the upstream failed mid-stream: `end` sends `response.failed`. */
  readonly failed: boolean;
}

interface OpenMessage {
  item: OutputMessage;
  index: number;
}
interface OpenReasoning {
  item: OutputReasoning;
  index: number;
}
interface OpenCall {
  item: OutputFunctionCall;
  index: number;
  /** Text-encoded input deltas are not JSON: send the final input at `tool-call` instead. */
  streamArguments: boolean;
}

export function createResponseEventRenderer(identity: ResponseIdentity): ResponseEventRenderer {
  const { requestId } = identity;
  let sequence = 0;
  let started = false;
  let ended = false;
  let failure: { code: string; message: string } | undefined;
  let finishReason: LanguageModelV3FinishReason | undefined;
  const output: OutputItem[] = [];
  const messages = new Map<string, OpenMessage>();
  const reasonings = new Map<string, OpenReasoning>();
  const calls = new Map<string, OpenCall>();
  /** Provider-executed tool calls: already run upstream, never shown to the client. */
  const hiddenCalls = new Set<string>();
  /**
   * A message whose text ended: its `done` events wait until the next item opens or the
   * response ends, because only the finish reason says whether it was cut off.
   */
  let pendingMessage: OpenMessage | undefined;

  const events: ResponseStreamEvent[] = [];
  const emit = (body: ResponseEventBody) => {
    // A snapshot: later deltas must not change an event already handed out.
    events.push({ ...structuredClone(body), sequence_number: sequence++ });
  };
  const drain = (): ResponseStreamEvent[] => events.splice(0, events.length);

  const response = (state: Partial<ResponseObject> & Pick<ResponseObject, 'status'>): ResponseObject =>
    responseShell(identity, {
      completed_at: null,
      error: null,
      incomplete_details: null,
      output,
      usage: null,
      ...state,
    });

  // ---- opening items ----

  const addItem = (item: OutputItem): number => {
    closePendingMessage('completed');
    const index = output.length;
    output.push(item);
    emit({ type: 'response.output_item.added', output_index: index, item });
    return index;
  };

  const openMessage = (id: string): OpenMessage => {
    const item: OutputMessage = { type: 'message', id: outputItemId('msg', requestId, output.length), status: 'in_progress', role: 'assistant', content: [] };
    const index = addItem(item);
    const part = { type: 'output_text' as const, text: '', annotations: [], logprobs: [] };
    item.content.push(part);
    emit({ type: 'response.content_part.added', item_id: item.id, output_index: index, content_index: 0, part });
    const open = { item, index };
    messages.set(id, open);
    return open;
  };

  const openReasoning = (id: string): OpenReasoning => {
    const item: OutputReasoning = { type: 'reasoning', id: outputItemId('rs', requestId, output.length), summary: [] };
    const index = addItem(item);
    const part = { type: 'summary_text' as const, text: '' };
    item.summary.push(part);
    emit({ type: 'response.reasoning_summary_part.added', item_id: item.id, output_index: index, summary_index: 0, part });
    const open = { item, index };
    reasonings.set(id, open);
    return open;
  };

  const openCall = (callId: string, name: string, streamArguments: boolean): OpenCall => {
    const item: OutputFunctionCall = {
      type: 'function_call',
      id: outputItemId('fc', requestId, output.length),
      call_id: callId,
      name,
      arguments: '',
      status: 'in_progress',
    };
    const open = { item, index: addItem(item), streamArguments };
    calls.set(callId, open);
    return open;
  };

  // ---- closing items ----

  const closeMessage = ({ item, index }: OpenMessage, status: OutputMessage['status']) => {
    const part = item.content[0]!;
    emit({ type: 'response.output_text.done', item_id: item.id, output_index: index, content_index: 0, text: part.text, logprobs: [] });
    emit({ type: 'response.content_part.done', item_id: item.id, output_index: index, content_index: 0, part });
    item.status = status;
    emit({ type: 'response.output_item.done', output_index: index, item });
  };

  function closePendingMessage(status: OutputMessage['status']): void {
    if (!pendingMessage) return;
    const pending = pendingMessage;
    pendingMessage = undefined;
    closeMessage(pending, status);
  }

  const closeReasoning = ({ item, index }: OpenReasoning) => {
    const part = item.summary[0]!;
    emit({ type: 'response.reasoning_summary_text.done', item_id: item.id, output_index: index, summary_index: 0, text: part.text });
    emit({ type: 'response.reasoning_summary_part.done', item_id: item.id, output_index: index, summary_index: 0, part });
    emit({ type: 'response.output_item.done', output_index: index, item });
  };

  const closeCall = ({ item, index }: OpenCall, status: OutputFunctionCall['status']) => {
    emit({ type: 'response.function_call_arguments.done', item_id: item.id, output_index: index, name: item.name, arguments: item.arguments });
    item.status = status;
    emit({ type: 'response.output_item.done', output_index: index, item });
  };

  /** Everything still open at the end, in output order. */
  const closeAll = (messageStatus: OutputMessage['status'], callStatus: OutputFunctionCall['status']) => {
    closePendingMessage(messageStatus);
    const open = [
      ...[...messages.values()].map((entry) => ({ index: entry.index, close: () => closeMessage(entry, messageStatus) })),
      ...[...reasonings.values()].map((entry) => ({ index: entry.index, close: () => closeReasoning(entry) })),
      ...[...calls.values()].map((entry) => ({ index: entry.index, close: () => closeCall(entry, callStatus) })),
    ].sort((a, b) => a.index - b.index);
    messages.clear();
    reasonings.clear();
    calls.clear();
    for (const entry of open) entry.close();
  };

  // ---- one function per part kind ----

  const onTextDelta = (id: string, delta: string) => {
    if (delta === '') return;
    const { item, index } = messages.get(id) ?? openMessage(id);
    item.content[0]!.text += delta;
    emit({ type: 'response.output_text.delta', item_id: item.id, output_index: index, content_index: 0, delta, logprobs: [] });
  };

  const onTextEnd = (id: string) => {
    const open = messages.get(id);
    if (!open) return;
    messages.delete(id);
    closePendingMessage('completed');
    pendingMessage = open;
  };

  const onReasoningDelta = (id: string, delta: string) => {
    if (delta === '') return;
    const { item, index } = reasonings.get(id) ?? openReasoning(id);
    item.summary[0]!.text += delta;
    emit({ type: 'response.reasoning_summary_text.delta', item_id: item.id, output_index: index, summary_index: 0, delta });
  };

  const onReasoningEnd = (id: string) => {
    const open = reasonings.get(id);
    if (!open) return;
    reasonings.delete(id);
    closeReasoning(open);
  };

  const onToolInputStart = (part: Extract<LanguageModelV3StreamPart, { type: 'tool-input-start' }>) => {
    if (part.providerExecuted) {
      hiddenCalls.add(part.id);
      return;
    }
    if (!calls.has(part.id)) openCall(part.id, part.toolName, part.inputEncoding !== 'text');
  };

  const onToolInputDelta = (id: string, delta: string) => {
    const open = calls.get(id);
    if (!open || !open.streamArguments || delta === '') return;
    open.item.arguments += delta;
    emit({ type: 'response.function_call_arguments.delta', item_id: open.item.id, output_index: open.index, delta });
  };

  const onToolCall = (part: Extract<LanguageModelV3StreamPart, { type: 'tool-call' }>) => {
    if (part.providerExecuted || hiddenCalls.has(part.toolCallId)) return;
    const open = calls.get(part.toolCallId) ?? openCall(part.toolCallId, part.toolName, false);
    const input = part.input === '' ? '{}' : part.input;
    // The whole input arrived without usable deltas: send it as one.
    if (open.item.arguments === '') {
      emit({ type: 'response.function_call_arguments.delta', item_id: open.item.id, output_index: open.index, delta: input });
    }
    // The final input is what the provider parsed; it wins over the concatenated deltas.
    open.item.arguments = input;
    calls.delete(part.toolCallId);
    closeCall(open, 'completed');
  };

  const translate = (part: LanguageModelV3StreamPart) => {
    switch (part.type) {
      case 'text-delta':
        return onTextDelta(part.id, part.delta);
      case 'text-end':
        return onTextEnd(part.id);
      case 'reasoning-delta':
        return onReasoningDelta(part.id, part.delta);
      case 'reasoning-end':
        return onReasoningEnd(part.id);
      case 'tool-input-start':
        return onToolInputStart(part);
      case 'tool-input-delta':
        return onToolInputDelta(part.id, part.delta);
      case 'tool-call':
        return onToolCall(part);
      case 'finish':
        finishReason = part.finishReason;
        return;
      case 'error': {
        const { code, message } = renderStreamError(part.error).error;
        failure = { code, message };
        return;
      }
      default:
        // Starts (items open at their first delta), metadata, sources, files and
        // provider-run tool results have no event of their own here.
        return;
    }
  };

  const start = (): ResponseStreamEvent[] => {
    if (started) return [];
    started = true;
    emit({ type: 'response.created', response: response({ status: 'in_progress' }) });
    emit({ type: 'response.in_progress', response: response({ status: 'in_progress' }) });
    return drain();
  };

  return {
    start,
    part(part) {
      if (ended || failure) return [];
      const opening = start();
      translate(part);
      return [...opening, ...drain()];
    },
    end(accounting) {
      if (ended) return [];
      const opening = start();
      ended = true;
      const usage = renderResponseUsage(accounting);
      if (failure) {
        closeAll('incomplete', 'incomplete');
        emit({ type: 'response.failed', response: response({ status: 'failed', error: failure, usage }) });
        return [...opening, ...drain()];
      }
      const outcome = mapResponseStatus(finishReason ?? { unified: 'stop', raw: undefined });
      closeAll(outcome.status === 'incomplete' ? 'incomplete' : 'completed', 'completed');
      const type = outcome.status === 'completed' ? 'response.completed' : 'response.incomplete';
      const completedAt = outcome.status === 'completed' ? Math.floor(Date.now() / 1000) : null;
      emit({ type, response: response({ status: outcome.status, completed_at: completedAt, incomplete_details: outcome.incomplete_details, usage }) });
      return [...opening, ...drain()];
    },
    get failed() {
      return failure !== undefined;
    },
  };
}

/** One server-sent event as OpenAI frames them: the type as the event name, then the JSON. */
export function formatResponseEvent(event: ResponseStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}
