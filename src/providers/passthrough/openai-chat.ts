import { APICallError } from '@ai-sdk/provider';
import { upstreamHeaders } from '../../core/upstream-headers.js';
import { request } from '../../http/undici.js';
import { jsonBytes, tokenCount } from '../../core/estimate/request-estimate.js';
import { maxOf, outputRaisers } from '../../core/estimate/chat-estimate.js';
import type { TokenUsage } from '../../core/types.js';
import { billedServiceTier } from '../../core/usage.js';
import type { ProviderEntry } from '../registry.js';
import { upstreamAgent } from '../undici-fetch.js';
import { version } from '../../version.js';
import { readCappedBody } from '../response-limits.js';
import { eventData, readSseEvents } from './sse-reader.js';

/**
 * Same-protocol fast path: an OpenAI chat-completions request goes to an OpenAI-compatible
 * upstream with only the model renamed and gateway-only fields removed, and the answer comes
 * back as the upstream wrote it. No web fetch, no translation (PEERS.md).
 */
const defaultBaseURL: Record<string, string> = { openai: 'https://api.openai.com/v1' };
const USER_AGENT = `tollgate/${version}`;

export type OpenAIChatBody = Record<string, unknown>;

function upstreamRequest(provider: ProviderEntry, modelId: string, body: OpenAIChatBody, stream: boolean, outputCap: number | undefined) {
  const baseURL = (provider.config.baseURL ?? defaultBaseURL[provider.kind] ?? '').replace(/\/$/, '');
  const { providerOptions: _gatewayOnly, ...rest } = body;
  const upstreamBody: OpenAIChatBody = { ...rest, model: modelId };
  if (outputCap !== undefined) {
    // OpenAI's reasoning models refuse max_tokens; every current OpenAI model takes max_completion_tokens.
    upstreamBody[provider.kind === 'openai' ? 'max_completion_tokens' : 'max_tokens'] = outputCap;
  }
  if (stream) {
    // Ask for usage whatever the client asked: the ledger needs it. The usage chunk is dropped
    // again on the way out when the client did not ask for it.
    upstreamBody.stream_options = { ...(rest.stream_options as object | undefined), include_usage: true };
  }
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    accept: stream ? 'text/event-stream' : 'application/json',
    ...provider.config.headers,
  };
  if (provider.config.apiKey) headers.authorization = `Bearer ${provider.config.apiKey}`;
  const extra = upstreamHeaders();
  if (extra) Object.assign(headers, extra);
  return { url: `${baseURL}/chat/completions`, headers, body: JSON.stringify(upstreamBody) };
}

/** `outputCap`: a cap the gateway sets because the client set none and a budget must hold. */
export interface PassthroughCall {
  provider: ProviderEntry;
  modelId: string;
  body: OpenAIChatBody;
  signal: AbortSignal;
  outputCap?: number | undefined;
}

async function send({ provider, modelId, body, signal, outputCap }: PassthroughCall, stream: boolean) {
  const upstream = upstreamRequest(provider, modelId, body, stream, outputCap);
  const response = await request(upstream.url, {
    method: 'POST',
    headers: upstream.headers,
    body: upstream.body,
    signal,
    dispatcher: upstreamAgent,
  });
  if (response.statusCode >= 200 && response.statusCode < 300) return response;
  const responseBody = (await readCappedBody(response.body, response.headers, provider.responseLimits)).toString('utf8');
  const responseHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (typeof value === 'string') responseHeaders[name] = value;
  }
  // The same error type the AI SDK providers throw, so one classifier serves both paths.
  throw new APICallError({
    message: upstreamMessage(responseBody) ?? `HTTP ${response.statusCode}`,
    url: upstream.url,
    requestBodyValues: undefined,
    statusCode: response.statusCode,
    responseHeaders,
    responseBody,
  });
}

export async function openaiChatJson(call: PassthroughCall) {
  const response = await send(call, false);
  const json = JSON.parse((await readCappedBody(response.body, response.headers, call.provider.responseLimits)).toString('utf8')) as Record<string, unknown>;
  return { json, usage: readOpenAIUsage(json.usage, json.service_tier) };
}

export async function openaiChatEvents(call: PassthroughCall) {
  const response = await send(call, true);
  return readSseEvents(response.body, call.provider.responseLimits);
}

interface OpenAIUsageWire {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/**
 * OpenAI usage → ledger usage (OpenAI's prompt_tokens already include cached tokens), with the
 * service tier the completion says served it; undefined when there is none. Counts are taken as
 * sent, whatever their type: the settler checks them.
 */
export function readOpenAIUsage(usage: unknown, serviceTier?: unknown): TokenUsage | undefined {
  if (usage === null || typeof usage !== 'object') return undefined;
  const wire = usage as OpenAIUsageWire;
  if (wire.prompt_tokens === undefined && wire.completion_tokens === undefined) return undefined;
  const read: TokenUsage = {
    input: wire.prompt_tokens ?? Number.NaN,
    cacheRead: wire.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWrite: wire.prompt_tokens_details?.cache_write_tokens ?? 0,
    output: wire.completion_tokens ?? Number.NaN,
    reasoning: wire.completion_tokens_details?.reasoning_tokens ?? 0,
  };
  const tier = billedServiceTier(serviceTier);
  if (tier) read.serviceTier = tier;
  return read;
}

/** What one streamed event means to the router and the ledger. */
export interface ChunkFacts {
  done: boolean;
  /** Carries generated content (text, refusal, a tool call) or a finish reason: the commit point. */
  content: boolean;
  usage?: TokenUsage;
  /** An in-band error the upstream sent instead of a chunk. */
  error?: string;
  /** Everything the chunk generates (text, refusal, reasoning, tool calls), for billing a stream cut before its usage. */
  text: string;
  parsed?: Record<string, unknown>;
}

const MALFORMED_CHUNK = 'the upstream sent a malformed stream chunk';

export function chunkFacts(event: string): ChunkFacts {
  const data = eventData(event);
  if (data === null) return { done: false, content: false, text: '' };
  if (data === '[DONE]') return { done: true, content: false, text: '' };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return { done: false, content: false, text: '', error: MALFORMED_CHUNK };
  }
  // Valid JSON that is not an object (an array, a string) is no chunk either.
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { done: false, content: false, text: '', error: MALFORMED_CHUNK };
  if (parsed.error) {
    return { done: false, content: false, text: '', error: upstreamMessage(JSON.stringify(parsed)) ?? 'upstream stream error', parsed };
  }
  const choices = Array.isArray(parsed.choices) ? (parsed.choices as Array<{ delta?: Record<string, unknown>; finish_reason?: unknown } | null>) : [];
  let text = '';
  let content = false;
  for (const choice of choices) {
    const generated = deltaText(choice?.delta);
    text += generated;
    content ||= generated.length > 0 || Array.isArray(choice?.delta?.tool_calls) || choice?.finish_reason != null;
  }
  const facts: ChunkFacts = { done: false, content, text, parsed };
  if (parsed.usage) facts.usage = readOpenAIUsage(parsed.usage, parsed.service_tier);
  return facts;
}

/** The generated text of one delta, in every field that bills as output. */
function deltaText(delta: Record<string, unknown> | undefined): string {
  if (!delta) return '';
  let text = '';
  for (const field of OUTPUT_TEXT_FIELDS) if (typeof delta[field] === 'string') text += delta[field];
  const calls = [...(Array.isArray(delta.tool_calls) ? delta.tool_calls : []), delta.function_call];
  for (const call of calls as Array<{ function?: { name?: unknown; arguments?: unknown }; name?: unknown; arguments?: unknown } | undefined>) {
    const fn = call?.function ?? call;
    if (typeof fn?.name === 'string') text += fn.name;
    if (typeof fn?.arguments === 'string') text += fn.arguments;
  }
  return text;
}

/** Delta fields that carry generated text: OpenAI's, and the reasoning fields of DeepSeek, vLLM and OpenRouter. */
const OUTPUT_TEXT_FIELDS = ['content', 'refusal', 'reasoning_content', 'reasoning'] as const;

function upstreamMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
    if (parsed.error && typeof parsed.error.message === 'string') return parsed.error.message;
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Whole: the router redacts secrets before it cuts the message.
    return body || undefined;
  }
  return undefined;
}

/** Fields the canonical request carries (and the estimate of it counts), or that never go upstream. */
const TRANSLATED_FIELDS = new Set(['messages', 'tools', 'response_format', 'providerOptions', 'max_tokens', 'max_completion_tokens']);

export interface WireOnlyEstimate {
  inputTokens: number;
  outputCap: number | undefined;
  extraOutputTokens: number;
}

/**
 * What the passthrough sends beyond the canonical request: fields the face does not translate go
 * upstream as they are and may be billed (a `prediction`, a `name` on a message) or let the
 * upstream write more (`max_tokens` beside `max_completion_tokens`, `thinking`, `reasoning`,
 * `prediction`).
 */
export function wireOnlyEstimate(body: OpenAIChatBody): WireOnlyEstimate {
  const sentAsIs: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(body)) if (!TRANSLATED_FIELDS.has(field)) sentAsIs[field] = value;
  let input = jsonBytes(sentAsIs);
  for (const message of Array.isArray(body.messages) ? (body.messages as unknown[]) : []) {
    if (message === null || typeof message !== 'object') continue;
    const { role: _role, content: _content, tool_calls: _calls, tool_call_id: _id, ...untranslated } = message as Record<string, unknown>;
    input += jsonBytes(untranslated);
  }
  const raised = outputRaisers(sentAsIs);
  return {
    inputTokens: input,
    outputCap: maxOf(maxOf(tokenCount(body.max_tokens), tokenCount(body.max_completion_tokens)), raised.cap),
    extraOutputTokens: raised.extra,
  };
}
