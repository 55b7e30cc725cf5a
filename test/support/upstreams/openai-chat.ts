/**
 * OpenAI `POST /v1/chat/completions`: a `chat.completion` object, or `chat.completion.chunk`
 * SSE events ending `data: [DONE]`, with the usage chunk (empty `choices`) before it when
 * `stream_options.include_usage` is true.
 */
import { z } from 'zod';
import { decide, fragments, resultText, wordChunks, type Conversation, type Decision } from './answer.js';
import { openaiFamily } from './openai-family.js';
import type { Route, SseEvent, UsageCounts } from './types.js';
import { bodyModel, dataEvent, json, nextId, nowSeconds, parseBody, sse, withMessage } from './wire.js';

const Content = z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]).nullish();

const ChatBody = z.looseObject({
  model: z.string(),
  messages: z.array(z.looseObject({ role: z.string(), content: Content })).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish(), continuous_usage_stats: z.boolean().nullish() }).nullish(),
  tools: z
    .array(z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string() }).optional() }))
    .nullish(),
  service_tier: z.enum(['auto', 'default', 'flex', 'priority']).nullish(),
  web_search_options: z
    .strictObject({
      search_context_size: z.enum(['low', 'medium', 'high']).nullish(),
      user_location: z
        .strictObject({
          type: z.literal('approximate'),
          approximate: z.strictObject({ city: z.string(), country: z.string(), region: z.string(), timezone: z.string() }).partial(),
        })
        .nullish(),
    })
    .nullish(),
});
type ChatBody = z.infer<typeof ChatBody>;

/** The tier OpenAI says it served at: the one asked for, `default` when it was left to choose. */
const servedTier = (body: ChatBody): string => (body.service_tier && body.service_tier !== 'auto' ? body.service_tier : 'default');

function contentText(content: z.infer<typeof Content>): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  // Only text parts count: an image beside the text must not add a trailing space.
  return content.flatMap((part) => (part.type === 'text' ? [part.text ?? ''] : [])).join(' ');
}

function toConversation(body: ChatBody): Conversation {
  const texts = body.messages.map((m) => contentText(m.content)).filter((t) => t.length > 0);
  const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
  // Parallel calls answer together: the trailing tool messages, in order, joined with `; `.
  const trailing: string[] = [];
  for (let i = body.messages.length - 1; i >= 0 && body.messages[i]?.role === 'tool'; i--) {
    trailing.unshift(resultText(body.messages[i]?.content));
  }
  return {
    texts,
    lastUserText: lastUser ? contentText(lastUser.content) : '',
    toolNames: (body.tools ?? []).flatMap((t) => (t.function ? [t.function.name] : [])),
    ...(trailing.length > 0 ? { toolResult: trailing.join('; ') } : {}),
  };
}

export function openaiUsage(usage: UsageCounts): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

const FINGERPRINT = 'fp_tollgate';

/** OpenAI's chat models that search the web: the `-search-preview` ones and `gpt-5-search-api`. */
const SEARCH_MODEL = /-search-(?:preview|api)\b/;

/** OpenAI call ids are per response; `call_1`, `call_2`, … in the order of the calls. */
const callId = (index: number): string => `call_${index + 1}`;

function finishReasonOf({ answer, finishReason }: Decision): string {
  return finishReason ?? (answer.kind === 'text' ? 'stop' : 'tool_calls');
}

/** The page a search model's answer cites. */
export const SEARCH_RESULT = { url: 'https://example.com/tollgate', title: 'Tollgate' };

/**
 * A search model searches before every answer, `web_search_options` or not, and cites what it
 * found: one url_citation over the whole answer. Only a search model takes `web_search_options`.
 */
function citations(body: ChatBody, decision: Decision): unknown[] {
  if (!SEARCH_MODEL.test(body.model) || decision.answer.kind !== 'text') return [];
  return [{ type: 'url_citation', url_citation: { start_index: 0, end_index: decision.answer.text.length, ...SEARCH_RESULT } }];
}

function completion(body: ChatBody, decision: Decision): unknown {
  const { answer, usage } = decision;
  const message =
    answer.kind === 'text'
      ? { role: 'assistant', content: answer.text, refusal: null, annotations: citations(body, decision) }
      : {
          role: 'assistant',
          content: null,
          tool_calls: answer.calls.map((call, i) => ({
            id: callId(i),
            type: 'function',
            function: { name: call.name, arguments: call.argsJson },
          })),
          refusal: null,
          annotations: [],
        };
  return {
    id: nextId('chatcmpl-'),
    object: 'chat.completion',
    created: nowSeconds(),
    model: body.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonOf(decision) }],
    usage: openaiUsage(usage),
    service_tier: servedTier(body),
    system_fingerprint: FINGERPRINT,
  };
}

function chunks(body: ChatBody, decision: Decision): SseEvent[] {
  const { answer, usage } = decision;
  const includeUsage = body.stream_options?.include_usage === true;
  // vLLM's extension: every chunk carries the usage so far (the prompt's, and the output produced).
  const continuousUsage = includeUsage && body.stream_options?.continuous_usage_stats === true;
  let produced = 0;
  const base = {
    id: nextId('chatcmpl-'),
    object: 'chat.completion.chunk',
    created: nowSeconds(),
    model: body.model,
    service_tier: servedTier(body),
    system_fingerprint: FINGERPRINT,
  };
  const chunk = (delta: Record<string, unknown>, finishReason: string | null, content: boolean): SseEvent => {
    if (content) produced += 1;
    const soFar = { ...usage, outputTokens: Math.min(usage.outputTokens, produced), reasoningTokens: 0 };
    return dataEvent(
      {
        ...base,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
        ...(includeUsage ? { usage: continuousUsage ? openaiUsage(soFar) : null } : {}),
      },
      content,
    );
  };

  const events: SseEvent[] = [];
  if (decision.reasoning !== undefined) {
    events.push(chunk({ role: 'assistant', content: null, reasoning_content: '' }, null, false));
    for (const piece of wordChunks(decision.reasoning)) events.push(chunk({ reasoning_content: piece }, null, true));
  }
  if (answer.kind === 'text') {
    events.push(chunk({ role: 'assistant', content: '', refusal: null }, null, false));
    for (const piece of wordChunks(answer.text)) events.push(chunk({ content: piece }, null, true));
    const annotations = citations(body, decision);
    // OpenAI sends a search model's citations in a delta of their own once the text is out.
    if (annotations.length > 0) events.push(chunk({ annotations }, null, true));
  } else {
    // Each call's first delta carries index, id, type and name with empty arguments; its
    // arguments follow in fragments under the same index. The first header rides on the role
    // chunk; later calls open with a header delta of their own.
    answer.calls.forEach((call, index) => {
      const header = { index, id: callId(index), type: 'function', function: { name: call.name, arguments: '' } };
      if (index === 0) {
        events.push(chunk({ role: 'assistant', content: null, tool_calls: [header], refusal: null }, null, false));
      } else {
        events.push(chunk({ tool_calls: [header] }, null, true));
      }
      for (const piece of fragments(call.argsJson)) {
        events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }, null, true));
      }
    });
  }
  events.push(chunk({}, finishReasonOf(decision), true));
  if (includeUsage) events.push(dataEvent({ ...base, choices: [], usage: openaiUsage(usage) }, true));
  events.push(dataEvent('[DONE]', true));
  return events;
}

export const chatCompletionsRoute: Route = {
  method: 'POST',
  pattern: /^\/v1\/chat\/completions$/,
  family: openaiFamily,
  model: bodyModel,
  render(req, options) {
    const parsed = parseBody(ChatBody, req, openaiFamily);
    if (!parsed.ok) return parsed.reply;
    if (parsed.value.web_search_options != null && !SEARCH_MODEL.test(parsed.value.model)) {
      return json(withMessage(openaiFamily.errorBody(400, undefined), 'Web search options not supported with this model.'), 400);
    }
    const decision = decide(toConversation(parsed.value), options);
    return parsed.value.stream === true ? sse(chunks(parsed.value, decision)) : json(completion(parsed.value, decision));
  },
};
