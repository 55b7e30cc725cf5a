import type { LanguageModelV3GenerateResult, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { canonicalChat, canonicalChatStream, withWebSearches } from '../../core/canonical-chat.js';
import { GatewayError } from '../../core/errors.js';
import { chatEstimate, maxOf } from '../../core/estimate/chat-estimate.js';
import type { RequestEstimate } from '../../core/estimate/request-estimate.js';
import { candidateWebSearches, wireWebSearches } from '../../core/estimate/web-searches.js';
import type { GatewayCore } from '../../core/gateway.js';
import { streamAnswer, type CallAnswer, type CallAttempt, type ServedStream } from '../../core/routed-call.js';
import { readToCommit, type StreamItemFacts } from '../../core/stream-commit.js';
import type { Accounting, ChatRequest, GatewayOptions, RequestContext } from '../../core/types.js';
import { isJsonObject } from '../../providers/passthrough/json-object.js';
import { chunkFacts, openaiChatEvents, openaiChatJson, wireOnlyEstimate, type OpenAIChatBody } from '../../providers/passthrough/openai-chat.js';
import { eventData } from '../../providers/passthrough/sse-reader.js';

/** An OpenAI chat-completions request, as the face parsed it. */
export interface OpenAIChatInput {
  /** The client's JSON body, validated. */
  body: OpenAIChatBody;
  model: string;
  gateway?: GatewayOptions;
  stream: boolean;
  includeUsage: boolean;
  /** The same request in canonical form; built only when a candidate needs translation. */
  toCanonical(): ChatRequest;
  /** The in-band error event sent when a stream breaks after its commit point. */
  streamErrorEvent(error: GatewayError): string;
}

/** What one attempt answered: the upstream's own OpenAI wire, or the canonical answer of a translated candidate. */
export type OpenAIChatAnswer =
  | { kind: 'wire-json'; json: Record<string, unknown> }
  | { kind: 'wire-stream'; events: AsyncIterable<string> }
  | { kind: 'canonical'; result: LanguageModelV3GenerateResult }
  | { kind: 'canonical-stream'; parts: AsyncIterable<LanguageModelV3StreamPart> };

export type OpenAIChatOutcome =
  | { kind: 'wire-json'; json: Record<string, unknown>; accounting: Accounting }
  | { kind: 'canonical'; result: Pick<LanguageModelV3GenerateResult, 'content' | 'finishReason' | 'warnings'>; accounting: Accounting }
  | { kind: 'wire-stream'; events: AsyncIterable<string>; served: ServedStream }
  | { kind: 'canonical-stream'; parts: AsyncIterable<LanguageModelV3StreamPart>; served: ServedStream };

/**
 * Routes an OpenAI-shaped request through the core's routed call: candidates that speak OpenAI's
 * wire format get the body piped through as is (fast and faithful); others get the canonical
 * request through their AI SDK provider. Either way the router, fallback and ledger are the core's.
 */
export async function routeOpenAIChat(gateway: GatewayCore, input: OpenAIChatInput, context: RequestContext): Promise<OpenAIChatOutcome> {
  let canonical: ChatRequest | undefined;
  const toCanonical = () => (canonical ??= input.toCanonical());
  // The response cache keeps canonical answers: a request it applies to takes the canonical path,
  // which a request for OpenAI's own web search cannot take.
  if (!searchesTheWeb(input.body) && gateway.usesCache(toCanonical(), context, input.stream)) {
    if (input.stream) {
      const stream = await gateway.chatStream(toCanonical(), context);
      return { kind: 'canonical-stream', parts: stream.parts, served: stream };
    }
    const result = await gateway.chat(toCanonical(), context);
    return { kind: 'canonical', result, accounting: result };
  }
  const outcome = await gateway.call<OpenAIChatAnswer>(
    {
      operation: 'chat',
      model: input.model,
      gateway: input.gateway,
      stream: input.stream,
      estimate: () => estimateOpenAIChat(toCanonical(), input.body),
      attempt: (attempt) => (attempt.candidate.provider.openaiWire ? wireAttempt(attempt, input) : canonicalAttempt(attempt, input, toCanonical())),
    },
    context,
  );
  if (outcome.kind === 'whole') {
    const answer = outcome.value;
    if (answer.kind === 'wire-json') return { kind: 'wire-json', json: answer.json, accounting: outcome.accounting };
    if (answer.kind === 'canonical') return { kind: 'canonical', result: answer.result, accounting: outcome.accounting };
    throw new GatewayError('internal', 'a whole chat answer carried a stream');
  }
  const answer = outcome.value;
  if (answer.kind === 'wire-stream') return { kind: 'wire-stream', events: answer.events, served: outcome.stream };
  if (answer.kind === 'canonical-stream') return { kind: 'canonical-stream', parts: answer.parts, served: outcome.stream };
  throw new GatewayError('internal', 'a chat stream carried a whole answer');
}

/** `web_search_options`: OpenAI's search models search the web themselves; only OpenAI's wire carries the setting. */
function searchesTheWeb(body: OpenAIChatBody): boolean {
  return body.web_search_options != null;
}

async function canonicalAttempt(attempt: CallAttempt, input: OpenAIChatInput, request: ChatRequest): Promise<CallAnswer<OpenAIChatAnswer>> {
  if (searchesTheWeb(input.body)) {
    throw new GatewayError(
      'upstream_unsupported',
      `web_search_options asks the model to search the web itself, and ${attempt.candidate.id} (a provider of kind ${attempt.candidate.provider.kind}) cannot: send it to an OpenAI or OpenAI-compatible model`,
      { param: 'web_search_options', model: attempt.candidate.id, provider: attempt.candidate.provider.id },
    );
  }
  if (input.stream) return canonicalChatStream(attempt, request.call, (parts): OpenAIChatAnswer => ({ kind: 'canonical-stream', parts }));
  const answer = await canonicalChat(attempt, request.call);
  return { ...answer, value: { kind: 'canonical', result: answer.value } };
}

/** The body piped to an upstream that speaks OpenAI's chat completions. */
async function wireAttempt(attempt: CallAttempt, input: OpenAIChatInput): Promise<CallAnswer<OpenAIChatAnswer>> {
  const { provider, modelId } = attempt.candidate;
  const call = { provider, modelId, body: input.body, signal: attempt.signal, outputCap: attempt.outputCap };
  // The one search of a search model is the one web_search_options configures: never two.
  const searches = candidateWebSearches(attempt.candidate, wireWebSearches(input.body));
  if (!input.stream) {
    const { json, usage } = await openaiChatJson(call);
    return { kind: 'whole', value: { kind: 'wire-json', json }, served: { usage: withWebSearches(usage, searches), finishReasons: finishReasonsOf(json) } };
  }
  const committed = await readToCommit(await openaiChatEvents(call), searches ? withSearchesIn(wireFacts, searches) : wireFacts, attempt.requestStartedAt);
  return streamAnswer(
    committed,
    {
      facts: searches ? withSearchesIn(wireFactsAfterCommit, searches) : wireFactsAfterCommit,
      errorItem: (error) => input.streamErrorEvent(error),
      map: (event, facts, costOf) => {
        if (!facts.usage) return withSseFraming(event);
        const chunk = chunkFacts(event).parsed;
        const choices = chunk?.choices as unknown[] | undefined;
        // The usage-only chunk was asked for by us, not the client: drop it again.
        if (!input.includeUsage && (!choices || choices.length === 0)) return null;
        if (!chunk) return withSseFraming(event);
        chunk.usage = { ...(chunk.usage as object), cost: costOf(facts.usage) };
        chunk.provider = provider.id;
        return `data: ${JSON.stringify(chunk)}\n\n`;
      },
    },
    (events): OpenAIChatAnswer => ({ kind: 'wire-stream', events }),
  );
}

/** The facts of each event, its usage with the searches the request ran, which OpenAI's usage does not count. */
function withSearchesIn(facts: (event: string) => StreamItemFacts, searches: number): (event: string) => StreamItemFacts {
  return (event) => {
    const read = facts(event);
    if (read.usage) read.usage = withWebSearches(read.usage, searches);
    return read;
  };
}

function wireFacts(event: string): StreamItemFacts {
  const facts = chunkFacts(event);
  return {
    commit: facts.content,
    terminal: facts.done,
    text: facts.text,
    ...(facts.usage ? { usage: facts.usage } : {}),
    ...(facts.error ? { error: new GatewayError('upstream_server_error', facts.error) } : {}),
  };
}

const USAGE_OBJECT = /"usage"\s*:\s*\{/;
/** String fields that carry generated output: text, refusal, reasoning, tool-call names and arguments. */
const OUTPUT_TEXT = /"(?:content|refusal|reasoning_content|reasoning|name|arguments)"\s*:\s*"((?:[^"\\]|\\.)*)"/g;

/**
 * After the commit point most chunks only need to pass: parse in full just the rare ones that
 * carry usage or an error, or that are not exactly one JSON object (a truncated or garbled chunk
 * must end the stream in an error, not reach the client's JSON parser), and take the text of
 * the rest with a regex (it feeds only the usage estimate of a cut stream). The validity check
 * is one pass that builds nothing; JSON-parsing every chunk was a visible share of streaming CPU.
 */
function wireFactsAfterCommit(event: string): StreamItemFacts {
  const data = eventData(event);
  if (data === null) return { commit: false, terminal: false, text: '' };
  if (data === '[DONE]') return { commit: false, terminal: true, text: '' };
  if (!isJsonObject(data) || USAGE_OBJECT.test(data) || data.includes('"error"')) return wireFacts(event);
  return { commit: true, terminal: false, text: outputText(data) };
}

/** Every generated string of a chunk, still JSON-escaped: escapes only make the count larger. */
function outputText(data: string): string {
  let text = '';
  for (const match of data.matchAll(OUTPUT_TEXT)) text += match[1];
  return text;
}

/** The canonical request's worst case, widened by what only the piped body carries. */
function estimateOpenAIChat(request: ChatRequest, body: OpenAIChatBody): RequestEstimate {
  const estimate = chatEstimate(request.call);
  const wire = wireOnlyEstimate(body);
  const cap = maxOf(estimate.maxOutputTokens, wire.outputCap);
  const extra = (estimate.extraOutputTokens ?? 0) + wire.extraOutputTokens;
  const webSearches = (estimate.webSearches ?? 0) + wireWebSearches(body);
  return {
    ...estimate,
    inputTokens: estimate.inputTokens + wire.inputTokens,
    ...(cap !== undefined ? { maxOutputTokens: cap } : {}),
    ...(extra > 0 ? { extraOutputTokens: extra } : {}),
    ...(webSearches > 0 ? { webSearches } : {}),
  };
}

/** Upstream events come without their blank-line terminator; put it back on the way out. */
function withSseFraming(event: string): string {
  return event.endsWith('\n\n') ? event : `${event}\n\n`;
}

/** The finish reason of each choice of an OpenAI chat completion. */
function finishReasonsOf(json: Record<string, unknown>): string[] {
  const choices = Array.isArray(json.choices) ? (json.choices as Array<{ finish_reason?: unknown }>) : [];
  return choices.flatMap((choice) => (typeof choice?.finish_reason === 'string' ? [choice.finish_reason] : []));
}
