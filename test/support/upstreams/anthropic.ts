/**
 * Anthropic `POST /v1/messages`: a `message` object, or the SSE sequence `message_start`,
 * `content_block_start`, `ping`, `content_block_delta`…, `content_block_stop`, `message_delta`,
 * `message_stop`. Errors are `{ type: 'error', error: { type, message }, request_id }`.
 */
import { z } from 'zod';
import { decide, fragments, resultText, wordChunks, type Conversation, type Decision } from './answer.js';
import type { Family, Route, SseEvent, UsageCounts } from './types.js';
import { bearerToken, bodyModel, dataEvent, json, nextId, parseBody, sse } from './wire.js';

const ERROR_TYPES: Record<number, [type: string, message: string]> = {
  400: ['invalid_request_error', 'Invalid request.'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'The requested resource could not be found.'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit.'],
  500: ['api_error', 'Internal server error'],
  504: ['timeout_error', 'Request timed out.'],
  529: ['overloaded_error', 'Overloaded'],
};

function error(type: string, message: string): Record<string, unknown> {
  return { type: 'error', error: { type, message }, request_id: nextId('req_') };
}

function errorBody(status: number, model: string | undefined): unknown {
  if (status === 404 && model !== undefined) return error('not_found_error', `model: ${model}`);
  const known = ERROR_TYPES[status];
  if (known) return error(known[0], known[1]);
  return status >= 500 ? error('api_error', 'Internal server error') : error('invalid_request_error', 'Invalid request.');
}

export const anthropicFamily: Family = {
  name: 'anthropic',
  eventEnd: '\n\n',
  defaultStreamErrorStatus: 529,
  authError(req) {
    // The API takes an API key in x-api-key, or an OAuth token as a Bearer authorization.
    if (req.headers['x-api-key'] === undefined && bearerToken(req.headers) === undefined) {
      return json(error('authentication_error', 'x-api-key header is required'), 401);
    }
    if (req.headers['anthropic-version'] === undefined) {
      return json(error('invalid_request_error', 'anthropic-version: header is required'), 400);
    }
    return undefined;
  },
  credential: (req) => req.headers['x-api-key'] ?? bearerToken(req.headers),
  keyRejected: () => json(errorBody(401, undefined), 401),
  errorBody,
  streamErrorEvent(status) {
    const body = errorBody(status, undefined) as Record<string, unknown>;
    return dataEvent({ type: 'error', error: body.error }, true, 'error');
  },
};

const Block = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  content: z.unknown().optional(),
});
const Content = z.union([z.string(), z.array(Block)]);
const TextOrBlocks = z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]);

const MessagesBody = z.looseObject({
  model: z.string(),
  max_tokens: z.number(),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content: Content })).min(1),
  system: TextOrBlocks.nullish(),
  stream: z.boolean().nullish(),
  tools: z.array(z.looseObject({ name: z.string() })).nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  service_tier: z.enum(['auto', 'standard_only']).nullish(),
});
type MessagesBody = z.infer<typeof MessagesBody>;

/** Text blocks only; tool results are read separately. */
function textOf(content: z.infer<typeof TextOrBlocks> | z.infer<typeof Content>): string {
  if (typeof content === 'string') return content;
  // Only text blocks count: an image beside the text must not add a trailing space.
  return content.flatMap((b) => (b.type === 'text' ? [b.text ?? ''] : [])).join(' ');
}

/** Every tool_result block's text, in order, joined with `; ` (parallel calls answer together). */
function toolResultOf(content: z.infer<typeof Content>): string | undefined {
  if (typeof content === 'string') return undefined;
  const results = content.filter((b) => b.type === 'tool_result').map((b) => resultText(b.content ?? ''));
  return results.length > 0 ? results.join('; ') : undefined;
}

function toConversation(body: MessagesBody): Conversation {
  const texts: string[] = [];
  if (body.system != null) texts.push(textOf(body.system));
  for (const m of body.messages) {
    texts.push(textOf(m.content));
    const result = toolResultOf(m.content);
    if (result !== undefined) texts.push(result);
  }
  const lastUser = [...body.messages].reverse().find((m) => m.role === 'user' && textOf(m.content).length > 0);
  const last = body.messages[body.messages.length - 1];
  const toolResult = last?.role === 'user' ? toolResultOf(last.content) : undefined;
  return {
    texts: texts.filter((t) => t.length > 0),
    lastUserText: lastUser ? textOf(lastUser.content) : '',
    toolNames: (body.tools ?? []).map((t) => t.name),
    ...(toolResult !== undefined ? { toolResult } : {}),
  };
}

/**
 * Anthropic's input_tokens excludes the tokens read from and written to the cache. The tier is
 * the one served: `auto` is served at priority here, as for an organisation with priority capacity.
 */
function usageFields(body: MessagesBody, usage: UsageCounts): Record<string, unknown> {
  return {
    input_tokens: Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens),
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cachedInputTokens,
    output_tokens: usage.outputTokens,
    service_tier: body.service_tier === 'auto' ? 'priority' : 'standard',
  };
}

/** Anthropic tool_use ids are unique per call; `toolu_1`, `toolu_2`, … in the order of the calls. */
const toolUseId = (index: number): string => `toolu_${index + 1}`;

/** `stop_reason` and `stop_sequence`: the scripted reason or the natural one. */
function stopOf(body: MessagesBody, { answer, finishReason }: Decision): { stop_reason: string; stop_sequence: string | null } {
  const reason = finishReason ?? (answer.kind === 'text' ? 'end_turn' : 'tool_use');
  // The API names the sequence that matched; the first one the request gave stands in for it.
  return { stop_reason: reason, stop_sequence: reason === 'stop_sequence' ? (body.stop_sequences?.[0] ?? null) : null };
}

function message(body: MessagesBody, decision: Decision): Record<string, unknown> {
  const { answer, usage } = decision;
  const content =
    answer.kind === 'text'
      ? [{ type: 'text', text: answer.text }]
      : answer.calls.map((call, i) => ({ type: 'tool_use', id: toolUseId(i), name: call.name, input: call.args }));
  return {
    id: nextId('msg_'),
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    ...stopOf(body, decision),
    usage: usageFields(body, usage),
  };
}

/** One content block's events: start, deltas, stop. The first start belongs to the preamble. */
function blockEvents(index: number, block: Record<string, unknown>, deltas: Record<string, unknown>[]): SseEvent[] {
  const out: SseEvent[] = [dataEvent({ type: 'content_block_start', index, content_block: block }, index > 0, 'content_block_start')];
  if (index === 0) out.push(dataEvent({ type: 'ping' }, false, 'ping'));
  for (const delta of deltas) {
    out.push(dataEvent({ type: 'content_block_delta', index, delta }, true, 'content_block_delta'));
  }
  out.push(dataEvent({ type: 'content_block_stop', index }, true, 'content_block_stop'));
  return out;
}

function events(body: MessagesBody, decision: Decision): SseEvent[] {
  const { answer, usage } = decision;
  const start = {
    ...message(body, decision),
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { ...usageFields(body, usage), output_tokens: 1 },
  };
  const out: SseEvent[] = [dataEvent({ type: 'message_start', message: start }, false, 'message_start')];
  if (answer.kind === 'text') {
    const deltas = wordChunks(answer.text).map((text) => ({ type: 'text_delta', text }));
    out.push(...blockEvents(0, { type: 'text', text: '' }, deltas));
  } else {
    answer.calls.forEach((call, i) => {
      const deltas = ['', ...fragments(call.argsJson)].map((partial_json) => ({ type: 'input_json_delta', partial_json }));
      out.push(...blockEvents(i, { type: 'tool_use', id: toolUseId(i), name: call.name, input: {} }, deltas));
    });
  }
  out.push(
    dataEvent(
      { type: 'message_delta', delta: stopOf(body, decision), usage: { output_tokens: usage.outputTokens } },
      true,
      'message_delta',
    ),
  );
  out.push(dataEvent({ type: 'message_stop' }, true, 'message_stop'));
  return out;
}

export const messagesRoute: Route = {
  method: 'POST',
  pattern: /^\/v1\/messages$/,
  family: anthropicFamily,
  model: bodyModel,
  render(req, options) {
    const parsed = parseBody(MessagesBody, req, anthropicFamily);
    if (!parsed.ok) return parsed.reply;
    const decision = decide(toConversation(parsed.value), options);
    return parsed.value.stream === true ? sse(events(parsed.value, decision)) : json(message(parsed.value, decision));
  },
};

/** `GET /v1/models` with `anthropic-version` (what tells it from OpenAI's list on the same path). */
export const modelsListRoute: Route = {
  method: 'GET',
  pattern: /^\/v1\/models$/,
  when: (req) => req.headers['anthropic-version'] !== undefined,
  family: anthropicFamily,
  model: () => undefined,
  render(_req, _options, context) {
    const data = context.knownModels.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' }));
    return json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  },
};
