/**
 * The canonical language of the core. Requests and results are the AI SDK provider
 * specification (V3) plus the gateway's own routing options and accounting; every face
 * translates to and from these and nothing else.
 */
import type {
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3FinishReason,
  LanguageModelV3StreamPart,
  SharedV3ProviderOptions,
  SharedV3Warning,
} from '@ai-sdk/provider';
import type { ErrorKind } from './errors.js';
import type { CacheDirectives } from './response-cache.js';
import type { LiveSnapshot } from './live-view.js';
import type { Hooks } from './hooks.js';
import type { RequestListQuery, RequestPage, RequestWithAttempts } from '../store/types.js';
import type { Principal } from '../policy/types.js';
import type { BudgetPeriod } from '../store/types.js';

export type Face = 'openai' | 'mcp' | 'anthropic' | 'responses' | 'aisdk';

/** `providerOptions.gateway`, as on Vercel AI Gateway. */
export interface GatewayOptions {
  /** Fallback models tried in order after the requested one. */
  models?: string[];
  /** Providers to prefer, in this order; others follow in their original order. */
  order?: string[];
  /** Only these providers may serve the request. */
  only?: string[];
  user?: string;
  tags?: string[];
  /** Only providers that keep no data (config `zeroDataRetention`). */
  zeroDataRetention?: boolean;
  /** No provider that may train on prompts (config `trainsOnPrompts`). */
  disallowPromptTraining?: boolean;
  /** Answer from, and keep the answer in, the response cache for `ttl` seconds. */
  cache?: { ttl: number };
  /**
   * The caller's own keys, by provider id, tried in order in place of the configured ones: used
   * for this request only, never stored, logged or echoed.
   */
  byok?: Record<string, ByokCredential[]>;
}

export interface ByokCredential {
  apiKey: string;
  baseURL?: string;
}

/** Who is asking and through which face; filled by the face, read by the core. */
export interface RequestContext {
  face: Face;
  /** The authenticated caller (set by the server's auth step); absent means anonymous. */
  principal?: Principal;
  /** Rate-limit state the core found at admission, for the face's `x-ratelimit-*` headers. */
  rateLimit?: RateLimitState;
  /** Set by the face from the incoming request when it carries one; otherwise the core makes one. */
  requestId?: string;
  user?: string | null;
  tags?: string[];
  keyId?: string | null;
  /** Aborts the upstream call when the client goes away. */
  signal?: AbortSignal;
  /** The client's W3C `traceparent` header, continued by tracing when it is on. */
  traceparent?: string;
  /** What the request's headers ask of the response cache. */
  cache?: CacheDirectives;
}

/** Tokens as the ledger counts them. `input` includes cache reads and writes (OpenAI's convention). */
export interface TokenUsage {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
  /**
   * The service tier the upstream says it served the request at (`flex`, `priority`, …), when
   * that is not its default one: a tier may have prices of its own.
   */
  serviceTier?: string;
  /** Web searches the upstream ran as a tool of its own and bills per search. */
  webSearches?: number;
}

export interface Accounting {
  requestId: string;
  /** `provider/model` that produced the answer. */
  servedModel: string;
  provider: string;
  usage: TokenUsage;
  /** USD; null when the model has no known price (never a silent 0). */
  cost: number | null;
  /** How many upstream attempts were made, including the one that served. */
  attempts: number;
  /** Set when the response cache applied: answered from it, or kept the fresh answer. */
  cache?: 'hit' | 'miss';
}

// ---- language ----

export interface ChatRequest {
  /** `provider/model`. */
  model: string;
  call: LanguageModelV3CallOptions;
  gateway?: GatewayOptions;
}

export interface ChatResult extends Accounting {
  content: LanguageModelV3Content[];
  finishReason: LanguageModelV3FinishReason;
  warnings: SharedV3Warning[];
}

/**
 * A stream that has passed its commit point: the first content part arrived, so no fallback
 * can happen any more. `parts` yields every V3 part from the start (buffered ones first);
 * a failure after the commit point arrives as an `{ type: 'error' }` part and the stream ends
 * without a `finish` part. `settled` resolves once the ledger row is written.
 */
export interface ChatStream {
  requestId: string;
  servedModel: string;
  provider: string;
  attempts: number;
  parts: AsyncIterable<LanguageModelV3StreamPart>;
  settled: Promise<Accounting>;
  cache?: 'hit' | 'miss';
}

// ---- embeddings ----

export interface EmbedRequest {
  model: string;
  values: string[];
  dimensions?: number;
  gateway?: GatewayOptions;
}

export interface EmbedResult extends Accounting {
  embeddings: number[][];
}

// ---- reranking ----

export interface RerankRequest {
  model: string;
  query: string;
  documents: string[];
  topN?: number;
  gateway?: GatewayOptions;
}

export interface RerankResult extends Accounting {
  /** Best first. */
  ranking: Array<{ index: number; relevanceScore: number }>;
}

// ---- images ----

export interface ImageRequest {
  model: string;
  prompt: string;
  n: number;
  /** `WIDTHxHEIGHT`. */
  size?: `${number}x${number}`;
  gateway?: GatewayOptions;
}

export interface StoredImage {
  id: string;
  mediaType: string;
  bytes: Uint8Array;
}

/** Media kept by the gateway, as its maker reads it back. */
export interface KeptMedia extends StoredImage {
  /** When it stops being served and is deleted (ISO 8601 UTC). */
  expiresAt: string;
}

export interface ImageResult extends Accounting {
  images: StoredImage[];
}

// ---- speech and transcription ----

export interface SpeechRequest {
  model: string;
  /** The text to speak. */
  text: string;
  voice?: string;
  /** Audio format asked of the provider (`mp3`, `wav`, `opus`, `aac`, `flac`, `pcm`, …). */
  format?: string;
  speed?: number;
  instructions?: string;
  /** ISO-639-1 language of the text, for providers that take one. */
  language?: string;
  /** V3 provider options, passed to the adapter as they are (the AI SDK face sends them). */
  providerOptions?: SharedV3ProviderOptions;
  /** Keep the audio in the gateway's media store (readable later by `getImage(id)`), as the MCP face does. */
  store?: boolean;
  gateway?: GatewayOptions;
}

export interface SpeechResult extends Accounting {
  audio: Uint8Array;
  mediaType: string;
  /** Characters of text spoken: the unit speech is priced in. */
  characters: number;
  /** Set when `store` was asked for. */
  id?: string;
  warnings: SharedV3Warning[];
}

export interface TranscribeRequest {
  model: string;
  audio: Uint8Array;
  mediaType: string;
  /** ISO-639-1 language of the audio, when known. */
  language?: string;
  /** Text to guide the style or continue a previous segment. */
  prompt?: string;
  /** V3 provider options, passed to the adapter (merged over `language` and `prompt`). */
  providerOptions?: SharedV3ProviderOptions;
  gateway?: GatewayOptions;
}

export interface TranscribeResult extends Accounting {
  text: string;
  segments?: Array<{ text: string; startSecond: number; endSecond: number }>;
  language?: string;
  /** Length of the audio, when the provider reports it: the unit transcription is priced in. */
  durationSeconds?: number;
  warnings: SharedV3Warning[];
}

// ---- catalog ----

export type ModelType = 'language' | 'embedding' | 'reranking' | 'image' | 'speech' | 'transcription';

export interface ModelPricing {
  /** USD per token, as strings (Vercel's `/v1/models` shape), absent when unknown. */
  input?: string;
  output?: string;
  input_cache_read?: string;
  input_cache_write?: string;
  /** USD per image, for image models. */
  image?: string;
  /** USD per character of text, for speech models. */
  character?: string;
  /** USD per minute of audio, for transcription models. */
  audio_minute?: string;
  /** USD per request (per search, for rerankers). */
  request?: string;
}

export interface CatalogEntry {
  /** `provider/model`. */
  id: string;
  provider: string;
  type: ModelType;
  name: string;
  context_window?: number;
  max_tokens?: number;
  pricing: ModelPricing;
}


// ---- spend reports (Vercel AI Gateway's `GET /v1/report`) ----

/** `group_by` values: Vercel's, less `credential_type` and `zero_data_retention`. */
export const reportGroupBys = ['day', 'user', 'model', 'tag', 'provider', 'api_key_name'] as const;
export type ReportGroupBy = (typeof reportGroupBys)[number];
/** `date_part`: the bucket of `group_by=day`. */
export const reportDateParts = ['day', 'hour'] as const;
export type ReportDatePart = (typeof reportDateParts)[number];

/** What to report; every filter narrows before aggregation. */
export interface ReportQuery {
  /** UTC dates `YYYY-MM-DD`, both inclusive; absent means unbounded. */
  startDate?: string;
  endDate?: string;
  /** Absent: one row of totals with no grouping field. */
  groupBy?: ReportGroupBy;
  /** Only with groupBy `day`; default `day`. */
  datePart?: ReportDatePart;
  userId?: string;
  /** `provider/model` that served (or, for a failed request, was requested). */
  model?: string;
  provider?: string;
  apiKeyName?: string;
  tags?: string[];
  /** `any` (default): a request with any listed tag; `all`: only with every one. */
  tagsMatch?: 'any' | 'all';
}

/** Whose rows a caller may see; decided by the core from the principal, never by a client. */
export type ReportScope = { kind: 'all' } | { kind: 'key'; keyId: string } | { kind: 'user'; user: string };

/** The grouping field a row carries: `day`/`hour` for `group_by=day`, else the group_by name. */
export type ReportGroupField = 'day' | 'hour' | 'user' | 'model' | 'tag' | 'provider' | 'api_key_name';

/**
 * One row of a report, in Vercel's field names. The grouping field is absent on the row of
 * requests that have no such value (no user, no tag, no key name, no provider).
 */
export type ReportRow = Partial<Record<ReportGroupField, string>> & {
  /** USD, summed from the ledger's integer nanos and divided once. */
  total_cost: number;
  /** The same as total_cost: Tollgate adds no markup over the provider's price. */
  market_cost: number;
  /** All input tokens, cache reads and writes included. */
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_creation_input_tokens: number;
  reasoning_tokens: number;
  /** Every request, failed ones too. */
  request_count: number;
  /** Tollgate's own: served requests whose model has no known price (their cost is not in total_cost). */
  unpriced_request_count: number;
  /**
   * Tollgate's own: requests refused by policy (budget, rate limit, allowlist) before any
   * upstream call; not in request_count. Present where refusals can be grouped and filtered as
   * asked: grouped by day, hour, user or api_key_name (or not grouped), filtered by user_id or
   * api_key_name only.
   */
  refused_count?: number;
};

/** One budget that applies to a caller, as `/v1/credits` and MCP results report it. */
export interface BudgetStatus {
  scope: 'key' | 'user' | 'tag' | 'global';
  scopeId: string;
  period: BudgetPeriod;
  limitUsd: number;
  spentUsd: number;
  /** Held by requests in flight (their worst case). */
  reservedUsd: number;
  remainingUsd: number;
  periodStart: string | null;
  /** When the period rolls over; null for `total`. */
  resetsAt: string | null;
}

/** The tightest request and token windows that applied to a request. */
export interface RateLimitState {
  requests?: { limit: number; remaining: number; resetSeconds: number };
  tokens?: { limit: number; remaining: number; resetSeconds: number };
}

/** The gateway core as the faces see it. */
export interface Gateway {
  chat(request: ChatRequest, context: RequestContext): Promise<ChatResult>;
  chatStream(request: ChatRequest, context: RequestContext): Promise<ChatStream>;
  embed(request: EmbedRequest, context: RequestContext): Promise<EmbedResult>;
  rerank(request: RerankRequest, context: RequestContext): Promise<RerankResult>;
  generateImage(request: ImageRequest, context: RequestContext): Promise<ImageResult>;
  speech(request: SpeechRequest, context: RequestContext): Promise<SpeechResult>;
  transcribe(request: TranscribeRequest, context: RequestContext): Promise<TranscribeResult>;
  /** Media the gateway made and still keeps, if `principal` may read it (its maker, or a caller that sees everything). */
  getImage(id: string, principal: Principal | undefined): Promise<KeptMedia | undefined>;
  /** The models the configured providers serve (their model lists, read and kept for a while). */
  catalog(): Promise<CatalogEntry[]>;
  /** Every budget of this caller's own, tightest first (the global one too for admins and anonymous loopback use). */
  budgetStatus(principal: Principal | undefined): Promise<BudgetStatus[]>;
  /** A spend report over the ledger rows this caller may see (all of them for admins and anonymous loopback use). */
  report(query: ReportQuery, principal: Principal | undefined): Promise<ReportRow[]>;
  /** Requests newest first, from the ledger rows this caller may see (as for `report`). */
  listRequests(query: RequestListQuery, principal: Principal | undefined): Promise<RequestPage>;
  /** One request with its attempts; undefined when there is none this caller may see. */
  getRequest(id: string, principal: Principal | undefined): Promise<RequestWithAttempts | undefined>;
  /** The requests in flight and the last minute's, as this caller may see them. */
  live(principal: Principal | undefined): LiveSnapshot;
  /**
   * Every budget this caller may watch, tightest first: for the admin and anonymous loopback use,
   * each budget in the config and each live key's; for anyone else, those that apply to them.
   */
  watchedBudgets(principal: Principal | undefined): Promise<BudgetStatus[]>;
  /** Where a face tells what the core cannot see (MCP tool calls), and hears how requests settle. */
  readonly hooks: Pick<Hooks, 'emit' | 'on'>;
}

export type { ErrorKind };
