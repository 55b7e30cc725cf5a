/**
 * Each provider's model list: the cheapest call every provider authenticates and bills nothing
 * for. OpenAI, OpenAI-compatible hosts and Mistral `GET /models`, Anthropic `GET /v1/models`,
 * Gemini `GET /v1beta/models`, Cohere `GET /v1/models`, each with the provider's own auth
 * header. `tollgate doctor` asks it to check a key; the catalog asks it for what is served.
 */
import type { ProviderConfig } from '../config/schema.js';

export interface ModelListCall {
  url: string;
  headers: Record<string, string>;
  /** The model ids in a successful answer's JSON; undefined when it is not a model list. */
  ids(body: unknown): string[] | undefined;
}

const DEFAULT_BASE_URLS: Partial<Record<ProviderConfig['kind'], string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  google: 'https://generativelanguage.googleapis.com/v1beta',
  mistral: 'https://api.mistral.ai/v1',
  cohere: 'https://api.cohere.com/v2',
};

const trimSlash = (url: string): string => url.replace(/\/+$/, '');

/** The string `field` of each item of `body[list]`, with `strip` cut from its start. */
function idsOf(body: unknown, list: string, field: string, strip = ''): string[] | undefined {
  const items = (body as Record<string, unknown> | null)?.[list];
  if (!Array.isArray(items)) return undefined;
  const ids: string[] = [];
  for (const item of items) {
    const id = (item as Record<string, unknown> | null)?.[field];
    if (typeof id === 'string' && id) ids.push(id.startsWith(strip) ? id.slice(strip.length) : id);
  }
  return ids;
}

function bearer(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

/** The model-list request for a provider; undefined for the built-in mock. */
export function modelListCall(provider: ProviderConfig): ModelListCall | undefined {
  const base = trimSlash(provider.baseURL ?? DEFAULT_BASE_URLS[provider.kind] ?? '');
  const extra = provider.headers ?? {};
  switch (provider.kind) {
    case 'mock':
      return undefined;
    case 'openai':
    case 'openai-compatible':
    case 'mistral':
      return { url: `${base}/models`, headers: { ...extra, ...bearer(provider.apiKey) }, ids: (body) => idsOf(body, 'data', 'id') };
    case 'anthropic': {
      // As the provider is called: a base URL without the version path gets `/v1`.
      const versioned = /\/v1$/.test(base) ? base : `${base}/v1`;
      return {
        url: `${versioned}/models?limit=1000`,
        headers: { ...extra, ...(provider.apiKey ? { 'x-api-key': provider.apiKey } : {}), 'anthropic-version': '2023-06-01' },
        ids: (body) => idsOf(body, 'data', 'id'),
      };
    }
    case 'google':
      return {
        url: `${base}/models?pageSize=1000`,
        headers: { ...extra, ...(provider.apiKey ? { 'x-goog-api-key': provider.apiKey } : {}) },
        ids: (body) => idsOf(body, 'models', 'name', 'models/'),
      };
    case 'cohere':
      // Chat and rerank are on /v2; the model list is only on /v1.
      return {
        url: `${base.replace(/\/v\d+$/, '')}/v1/models?page_size=1000`,
        headers: { ...extra, ...bearer(provider.apiKey) },
        ids: (body) => idsOf(body, 'models', 'name'),
      };
  }
}

/** A URL as it may be printed: without any user:password part. */
export function printableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * The ids a provider serves, read from its model list. Throws an Error whose message says why
 * (never the key) when the list cannot be read.
 */
export async function fetchModelIds(provider: ProviderConfig, fetch: typeof globalThis.fetch, timeoutMs: number): Promise<string[]> {
  const call = modelListCall(provider);
  if (!call) throw new Error('this provider has no model list');
  const where = printableUrl(call.url);
  let response: Response;
  try {
    response = await fetch(call.url, { headers: { accept: 'application/json', ...call.headers }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((error as { cause?: Error }).cause?.message ?? (error as Error).message);
    throw new Error(`${where} unreachable: ${reason}`);
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) throw new Error(`${where} answered HTTP ${response.status}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${where} did not answer JSON`);
  }
  const ids = call.ids(body);
  if (!ids) throw new Error(`${where} did not answer a model list`);
  return ids;
}
