import type { LanguageModelV3CallOptions, SharedV3ProviderMetadata, SharedV3Warning, LanguageModelV3GenerateResult, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { streamAnswer, type CallAttempt, type StreamAnswer, type StreamRules, type WholeAnswer } from './routed-call.js';
import { GatewayError } from './errors.js';
import { candidateWebSearches, isGoogleSearch, searchOptionsSent } from './estimate/web-searches.js';
import { readToCommit, type StreamItemFacts } from './stream-commit.js';
import type { TokenUsage } from './types.js';
import { billedServiceTier, fromV3Usage } from './usage.js';

/**
 * A chat attempt in the canonical language: the candidate's AI SDK language model, called with
 * V3 call options. Faces that translate use it as their attempt; so does one that pipes its own
 * wire format, for the candidates that do not speak it.
 */
export async function canonicalChat(attempt: CallAttempt, call: LanguageModelV3CallOptions): Promise<WholeAnswer<LanguageModelV3GenerateResult>> {
  const { provider, modelId } = attempt.candidate;
  refuseForeignProviderTools(attempt, call);
  const value = await provider.language(modelId).doGenerate({ ...withOutputCap(call, attempt.outputCap), abortSignal: attempt.signal });
  const searchTools = webSearchToolNames(call);
  const searches =
    (searchTools.size === 0 ? 0 : value.content.filter((part) => isSearchCall(part, searchTools)).length) +
    groundedPrompts(call, value.providerMetadata) +
    chatSearches(attempt, call);
  const usage = withWebSearches(
    withServiceTier(fromV3Usage(value.usage, value.providerMetadata), () => tierInBody(value.response?.body) ?? requestedTier(call, value.warnings)),
    searches,
  );
  return { kind: 'whole', value, served: { usage, finishReasons: [value.finishReason.raw ?? value.finishReason.unified] } };
}

/** A streaming attempt read up to its commit point; `wrap` turns the followed parts into the caller's value. */
export async function canonicalChatStream<V>(
  attempt: CallAttempt,
  call: LanguageModelV3CallOptions,
  wrap: (parts: AsyncGenerator<LanguageModelV3StreamPart>) => V,
): Promise<StreamAnswer<V>> {
  const { provider, modelId } = attempt.candidate;
  refuseForeignProviderTools(attempt, call);
  const { stream } = await provider.language(modelId).doStream({ ...withOutputCap(call, attempt.outputCap), abortSignal: attempt.signal });
  const warnings: SharedV3Warning[] = [];
  const searchTools = webSearchToolNames(call);
  let searches = chatSearches(attempt, call);
  const factsOf = (part: LanguageModelV3StreamPart): StreamItemFacts => {
    if (part.type === 'stream-start') warnings.push(...part.warnings);
    if (searchTools.size > 0 && isSearchCall(part, searchTools)) searches++;
    if (part.type === 'finish') searches += groundedPrompts(call, part.providerMetadata);
    const facts = partFacts(part);
    if (facts.usage) facts.usage = withWebSearches(withServiceTier(facts.usage, () => requestedTier(call, warnings)), searches);
    return facts;
  };
  const committed = await readToCommit(readerIterator(stream.getReader()), factsOf, attempt.requestStartedAt);
  const rules: StreamRules<LanguageModelV3StreamPart> = { facts: factsOf, errorItem: (error) => ({ type: 'error', error }) };
  return streamAnswer(committed, rules, wrap);
}

/**
 * A tool the provider runs itself (web search, search grounding) exists only at that provider:
 * another would drop it with a warning and answer without it. This candidate cannot serve the
 * request, so the next may (an Anthropic deployment of the same group); without one it is a 400.
 */
function refuseForeignProviderTools(attempt: CallAttempt, call: LanguageModelV3CallOptions): void {
  const { provider } = attempt.candidate;
  for (const tool of call.tools ?? []) {
    if (tool.type !== 'provider' || provider.quirks.runsProviderTool(tool.id)) continue;
    throw new GatewayError(
      'upstream_unsupported',
      `the tool '${tool.name}' (${tool.id}) is run by the provider itself, and ${attempt.candidate.id} (a provider of kind ${provider.kind}) cannot run it`,
      { param: 'tools', model: attempt.candidate.id, provider: provider.id },
    );
  }
}

/** Names the call gives the provider's own web search tools. */
function webSearchToolNames(call: LanguageModelV3CallOptions): Set<string> {
  const names = new Set<string>();
  for (const tool of call.tools ?? []) if (tool.type === 'provider' && /\.web_search/.test(tool.id)) names.add(tool.name);
  return names;
}

/**
 * Google grounding is billed once per prompt it grounded with at least one search, however many
 * queries it ran: 1 when the answer's grounding metadata lists search queries.
 */
function groundedPrompts(call: LanguageModelV3CallOptions, metadata: SharedV3ProviderMetadata | undefined): number {
  if (!call.tools?.some(isGoogleSearch)) return 0;
  const queries = (metadata?.google?.groundingMetadata as { webSearchQueries?: unknown } | null | undefined)?.webSearchQueries;
  return Array.isArray(queries) && queries.length > 0 ? 1 : 0;
}

/**
 * The one search of a chat completion: OpenAI's search models run it before every answer; an
 * OpenAI-compatible upstream runs it for `web_search_options` in its provider options.
 */
function chatSearches(attempt: CallAttempt, call: LanguageModelV3CallOptions): number {
  const { provider } = attempt.candidate;
  return candidateWebSearches(attempt.candidate, provider.kind === 'openai-compatible' ? searchOptionsSent(call, provider.id) : 0);
}

function isSearchCall(part: { type: string; providerExecuted?: boolean; toolName?: string }, searchTools: Set<string>): boolean {
  return part.type === 'tool-call' && part.providerExecuted === true && searchTools.has(part.toolName ?? '');
}

/**
 * Usage with the web searches the provider ran. Anthropic's usage counts them; OpenAI's and
 * Google's do not: OpenAI bills each search call its answer holds (and the one search of a chat
 * completion with `web_search_options`), Google each grounded prompt.
 */
export function withWebSearches(usage: TokenUsage | undefined, searchCalls: number): TokenUsage | undefined {
  if (!usage || usage.webSearches !== undefined || searchCalls === 0) return usage;
  return { ...usage, webSearches: searchCalls };
}

/**
 * Usage with the service tier that served it. The tier the upstream reported wins; an adapter
 * that does not pass it on (OpenAI's chat model in a stream) leaves the tier the request asked
 * for, unless the adapter dropped that setting for a model without the tier.
 */
function withServiceTier(usage: TokenUsage | undefined, fallback: () => string | undefined): TokenUsage | undefined {
  if (!usage || usage.serviceTier !== undefined) return usage;
  const tier = fallback();
  return tier ? { ...usage, serviceTier: tier } : usage;
}

function tierInBody(body: unknown): string | undefined {
  return body !== null && typeof body === 'object' ? billedServiceTier((body as { service_tier?: unknown }).service_tier) : undefined;
}

function requestedTier(call: LanguageModelV3CallOptions, warnings: readonly SharedV3Warning[]): string | undefined {
  if (warnings.some((warning) => warning.type === 'unsupported' && warning.feature === 'serviceTier')) return undefined;
  return billedServiceTier(call.providerOptions?.openai?.serviceTier);
}

/** The call with the output cap admission holds, when the request set none. */
function withOutputCap(call: LanguageModelV3CallOptions, cap: number | undefined): LanguageModelV3CallOptions {
  return cap === undefined ? call : { ...call, maxOutputTokens: cap };
}

async function* readerIterator<T>(reader: ReadableStreamDefaultReader<T>): AsyncGenerator<T> {
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Every part that carries generated output counts toward a cut stream's bill; a whole tool call may repeat its deltas, which only counts more. */
function partFacts(part: LanguageModelV3StreamPart): StreamItemFacts {
  switch (part.type) {
    case 'text-delta':
      return { commit: part.delta.length > 0, terminal: false, text: part.delta };
    case 'reasoning-delta':
      return { commit: part.delta.length > 0, terminal: false, text: part.delta };
    case 'tool-input-start':
      return { commit: true, terminal: false, text: part.toolName };
    case 'tool-call':
      return { commit: true, terminal: false, text: part.toolName + part.input };
    case 'file':
      return { commit: true, terminal: false, text: typeof part.data === 'string' ? part.data : '' };
    case 'tool-input-delta':
      return { commit: true, terminal: false, text: part.delta };
    case 'finish': {
      const usage = fromV3Usage(part.usage, part.providerMetadata);
      return { commit: true, terminal: true, ...(usage ? { usage } : {}), text: '' };
    }
    case 'error':
      return { commit: false, terminal: false, error: part.error, text: '' };
    default:
      return { commit: false, terminal: false, text: '' };
  }
}
