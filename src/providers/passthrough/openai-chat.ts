import { APICallError } from '@ai-sdk/provider';
import { request } from '../../http/undici.js';
import type { TokenUsage } from '../../core/types.js';
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

function upstreamRequest(provider: ProviderEntry, modelId: string, body: OpenAIChatBody, stream: boolean) {
  const baseURL = (provider.config.baseURL ?? defaultBaseURL[provider.kind] ?? '').replace(/\/$/, '');
  const { providerOptions: _gatewayOnly, ...rest } = body;
  const upstreamBody: OpenAIChatBody = { ...rest, model: modelId };
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
  return { url: `${baseURL}/chat/completions`, headers, body: JSON.stringify(upstreamBody) };
}

async function send(provider: ProviderEntry, modelId: string, body: OpenAIChatBody, stream: boolean, signal: AbortSignal) {
  const upstream = upstreamRequest(provider, modelId, body, stream);
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

export async function openaiChatJson(provider: ProviderEntry, modelId: string, body: OpenAIChatBody, signal: AbortSignal) {
  const response = await send(provider, modelId, body, false, signal);
  const json = JSON.parse((await readCappedBody(response.body, response.headers, provider.responseLimits)).toString('utf8')) as Record<string, unknown>;
  return { json, usage: readOpenAIUsage(json.usage) };
}

export async function openaiChatEvents(provider: ProviderEntry, modelId: string, body: OpenAIChatBody, signal: AbortSignal) {
  const response = await send(provider, modelId, body, true, signal);
  return readSseEvents(response.body, provider.responseLimits);
}

interface OpenAIUsageWire {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** OpenAI usage → ledger usage (OpenAI's prompt_tokens already include cached tokens). */
export function readOpenAIUsage(usage: unknown): TokenUsage {
  const wire = (usage ?? {}) as OpenAIUsageWire;
  return {
    input: wire.prompt_tokens ?? 0,
    cacheRead: wire.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWrite: wire.prompt_tokens_details?.cache_write_tokens ?? 0,
    output: wire.completion_tokens ?? 0,
    reasoning: wire.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

/** What one streamed event means to the router and the ledger. */
export interface ChunkFacts {
  done: boolean;
  /** Carries generated content (text, refusal, a tool call) or a finish reason: the commit point. */
  content: boolean;
  usage?: TokenUsage;
  /** An in-band error the upstream sent instead of a chunk. */
  error?: string;
  /** Text the chunk adds, for estimating usage when a stream is cut. */
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
  const choice = (parsed.choices as Array<{ delta?: Record<string, unknown>; finish_reason?: unknown }> | undefined)?.[0];
  const delta = choice?.delta;
  const text = typeof delta?.content === 'string' ? delta.content : '';
  const content =
    text.length > 0 ||
    (typeof delta?.refusal === 'string' && delta.refusal.length > 0) ||
    (typeof delta?.reasoning_content === 'string' && delta.reasoning_content.length > 0) ||
    Array.isArray(delta?.tool_calls) ||
    (choice?.finish_reason != null);
  const facts: ChunkFacts = { done: false, content, text, parsed };
  if (parsed.usage) facts.usage = readOpenAIUsage(parsed.usage);
  return facts;
}

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
