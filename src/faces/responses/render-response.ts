/**
 * Canonical result → a Responses API `response` object. The stream renderer builds its
 * `response.*` events from the same shell, so a streamed and a non-streamed answer to the same
 * request look alike.
 */
import type { ChatResult } from '../../core/types.js';
import { mapResponseStatus } from './map-response-status.js';
import { renderResponseUsage } from './render-usage.js';
import type { OutputItem, OutputMessage, ResponseEcho, ResponseObject } from './responses-api.js';

/** The response id carries the request id, so the ledger row of a response is easy to find. */
export function responseId(requestId: string): string {
  return `resp_${requestId}`;
}

/** Output item ids: unique within the response, stable for a given request and position. */
export function outputItemId(prefix: 'msg' | 'fc' | 'rs', requestId: string, outputIndex: number): string {
  return `${prefix}_${requestId}_${outputIndex}`;
}

/** Ids of the input items a request brought: distinct from its output items' ids. */
export function inputItemId(prefix: 'msg' | 'fc' | 'fco' | 'rs', requestId: string, inputIndex: number): string {
  return `${prefix}_${requestId}_in${inputIndex}`;
}

/** The id of the response an item id of this gateway was made in, or undefined for an id it did not make. */
export function responseIdOfItem(itemId: string): string | undefined {
  const requestId = /^(?:msg|fc|fco|rs)_(.+)_(?:in)?\d+$/.exec(itemId)?.[1];
  return requestId === undefined ? undefined : responseId(requestId);
}

export interface ResponseIdentity {
  requestId: string;
  /** `provider/model` that serves the response. */
  servedModel: string;
  provider: string;
  /** Unix seconds. */
  createdAt: number;
  echo: ResponseEcho;
}

export type ResponseState = Pick<ResponseObject, 'status' | 'completed_at' | 'error' | 'incomplete_details' | 'output' | 'usage'>;

/** A response object in OpenAI's field order, from who served it and where it stands. */
export function responseShell(identity: ResponseIdentity, state: ResponseState): ResponseObject {
  const { echo } = identity;
  return {
    id: responseId(identity.requestId),
    object: 'response',
    created_at: identity.createdAt,
    status: state.status,
    completed_at: state.completed_at,
    error: state.error,
    incomplete_details: state.incomplete_details,
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    model: identity.servedModel,
    output: state.output,
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: echo.previous_response_id,
    reasoning: echo.reasoning,
    store: echo.store,
    temperature: echo.temperature,
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_p: echo.top_p,
    truncation: 'disabled',
    usage: state.usage,
    user: echo.user,
    metadata: echo.metadata,
    provider: identity.provider,
  };
}

export interface RenderResponseOptions {
  /** Unix seconds; default now. */
  createdAt?: number;
  completedAt?: number;
}

/**
 * Provider-executed tool calls and their results are left out: the upstream already ran them,
 * and a Responses client would try to run a `function_call` again. Sources and files have no
 * function-call-free place in this shape yet and are dropped too.
 */
export function renderResponse(result: ChatResult, echo: ResponseEcho, options: RenderResponseOptions = {}): ResponseObject {
  const now = Math.floor(Date.now() / 1000);
  const output: OutputItem[] = [];
  const last = () => output[output.length - 1];
  for (const part of result.content) {
    switch (part.type) {
      case 'text': {
        if (part.text === '') break;
        const previous = last();
        if (previous?.type === 'message') previous.content[0]!.text += part.text;
        else output.push(outputMessage(outputItemId('msg', result.requestId, output.length), part.text));
        break;
      }
      case 'reasoning': {
        if (part.text === '') break;
        const previous = last();
        if (previous?.type === 'reasoning') previous.summary.push({ type: 'summary_text', text: part.text });
        else output.push({ type: 'reasoning', id: outputItemId('rs', result.requestId, output.length), summary: [{ type: 'summary_text', text: part.text }] });
        break;
      }
      case 'tool-call':
        if (part.providerExecuted) break;
        output.push({
          type: 'function_call',
          id: outputItemId('fc', result.requestId, output.length),
          call_id: part.toolCallId,
          name: part.toolName,
          arguments: part.input === '' ? '{}' : part.input,
          status: 'completed',
        });
        break;
      default:
        break;
    }
  }

  const outcome = mapResponseStatus(result.finishReason);
  // A cut-off answer leaves its last message unfinished, as OpenAI marks it.
  const lastItem = last();
  if (outcome.status === 'incomplete' && lastItem?.type === 'message') lastItem.status = 'incomplete';

  return responseShell(
    { requestId: result.requestId, servedModel: result.servedModel, provider: result.provider, createdAt: options.createdAt ?? now, echo },
    {
      status: outcome.status,
      completed_at: outcome.status === 'completed' ? (options.completedAt ?? now) : null,
      error: null,
      incomplete_details: outcome.incomplete_details,
      output,
      usage: renderResponseUsage(result),
    },
  );
}

function outputMessage(id: string, text: string): OutputMessage {
  return { type: 'message', id, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] };
}
