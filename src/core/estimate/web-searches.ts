/**
 * Web searches a provider runs as its own tool are billed per search beside the tokens, so the
 * worst case counts them: an Anthropic web search tool up to its `max_uses`; OpenAI's web search
 * up to the call's `max_tool_calls` (its cap on built-in tool calls); Google grounding once a
 * request (the Gemini API bills a grounded prompt once, however many queries it ran). Anthropic's
 * and OpenAI's searches have no limit upstream without that setting, so the gateway sets one
 * (`limits.webSearchMaxUses`) before the request is held and sent: what is held is what can be
 * spent.
 */
import type { JSONObject, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { MAX_REPORTED_SEARCHES } from '../usage.js';
import { tokenCount } from './request-estimate.js';

type CallTool = NonNullable<LanguageModelV3CallOptions['tools']>[number];

type ProviderTool = Extract<CallTool, { type: 'provider' }>;

const isAnthropicSearch = (tool: CallTool): tool is ProviderTool => tool.type === 'provider' && tool.id.startsWith('anthropic.web_search_');
/** An Anthropic search tool that sets no `max_uses`: it may search without limit. */
const isUnboundedAnthropicSearch = (tool: CallTool): tool is ProviderTool => isAnthropicSearch(tool) && tool.args.maxUses == null;
const isOpenAISearch = (tool: CallTool) => tool.type === 'provider' && (tool.id === 'openai.web_search' || tool.id === 'openai.web_search_preview');
/** Google's grounding tools: billed per grounded prompt. */
export const isGoogleSearch = (tool: CallTool): boolean => tool.type === 'provider' && (tool.id === 'google.google_search' || tool.id === 'google.enterprise_web_search');

/** The call with `maxUses` on every Anthropic search tool and `maxToolCalls` for OpenAI's, where it set none. */
export function boundWebSearches(call: LanguageModelV3CallOptions, maxUses: number): LanguageModelV3CallOptions {
  const tools = call.tools;
  if (!tools?.some((tool) => isAnthropicSearch(tool) || isOpenAISearch(tool))) return call;
  let bounded = call;
  if (tools.some(isUnboundedAnthropicSearch)) {
    bounded = { ...bounded, tools: tools.map((tool) => (isUnboundedAnthropicSearch(tool) ? { ...tool, args: { ...tool.args, maxUses } } : tool)) };
  }
  const openai = call.providerOptions?.openai;
  if (tools.some(isOpenAISearch) && openai?.maxToolCalls == null) {
    bounded = { ...bounded, providerOptions: { ...call.providerOptions, openai: { ...openai, maxToolCalls: maxUses } as JSONObject } };
  }
  return bounded;
}

/** The most searches the call can be billed for; a search tool left without a bound counts as the most settlement believes. */
export function webSearchesOf(call: LanguageModelV3CallOptions): number {
  let searches = 0;
  let openai = false;
  let google = false;
  for (const tool of call.tools ?? []) {
    if (tool.type !== 'provider') continue;
    if (isAnthropicSearch(tool)) searches += tokenCount(tool.args.maxUses) ?? MAX_REPORTED_SEARCHES;
    else if (isOpenAISearch(tool)) openai = true;
    else if (isGoogleSearch(tool)) google = true;
  }
  if (openai) searches += tokenCount(call.providerOptions?.openai?.maxToolCalls) ?? MAX_REPORTED_SEARCHES;
  if (google) searches += 1;
  searches += searchOptionsSent(call);
  return Math.min(searches, MAX_REPORTED_SEARCHES);
}

/**
 * Chat Completions' `web_search_options`: OpenAI's search models (`gpt-4o-search-preview`,
 * `gpt-5-search-api`, …) search the web once before every answer and bill that call beside the
 * tokens; neither the usage nor the answer counts it (its url_citation annotations cite pages).
 */
export function wireWebSearches(body: Record<string, unknown>): number {
  return body.web_search_options != null ? 1 : 0;
}

/** OpenAI's chat search models, by their own id or a proxy's (`openai/gpt-4o-search-preview`), dated or not. */
const SEARCH_MODEL = /(?:^|\/)gpt-[\w.-]*-search-(?:preview|api)(?:-\d{4}-\d{2}-\d{2})?$/;

/** A model that searches the web once before every answer, whether or not the request asks it to. */
export function searchesEveryAnswer(candidate: { provider: { kind: string }; modelId: string }): boolean {
  const { kind } = candidate.provider;
  return (kind === 'openai' || kind === 'openai-compatible') && SEARCH_MODEL.test(candidate.modelId);
}

/** The searches a candidate may run for a request that allows `requested`: at least the one of a search model. */
export function candidateWebSearches(candidate: { provider: { kind: string }; modelId: string }, requested: number): number {
  return searchesEveryAnswer(candidate) ? Math.max(requested, 1) : requested;
}

/**
 * An OpenAI-compatible model of the AI SDK sends the fields of its provider's options namespace
 * (the provider id, or its camelCase) in the body as they are, `web_search_options` among them:
 * 1 when the call sends it to `providerId`, or, without one, to any provider it may reach.
 */
export function searchOptionsSent(call: LanguageModelV3CallOptions, providerId?: string): number {
  const options = call.providerOptions;
  if (!options) return 0;
  const namespace = providerId?.split('.')[0];
  const names = namespace === undefined ? Object.keys(options) : [namespace, namespace.replace(/[_-]([a-z])/g, (pair) => pair[1]!.toUpperCase())];
  return names.some((name) => options[name]?.web_search_options != null) ? 1 : 0;
}
