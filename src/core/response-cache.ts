/**
 * The exact-match response cache. A request opts in (its `cache` option or header) or config
 * turns it on per key and model; the key is a hash of the normalized request and the caller's
 * scope, so callers never see each other's answers. A hit replays the kept answer, a stream as
 * the parts it streamed, with no upstream call.
 */
import { createHash } from 'node:crypto';
import type { LanguageModelV3CallOptions, LanguageModelV3Content, LanguageModelV3FinishReason, LanguageModelV3StreamPart, SharedV3Warning } from '@ai-sdk/provider';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { callerId } from '../policy/auth/caller-id.js';
import { matchesAny } from '../policy/glob.js';
import type { ResponseCacheStore } from '../store/response-cache.js';
import type { ChatRequest, RequestContext, TokenUsage } from './types.js';

export type CacheConfig = Config['cache'];

/** What a request asked of the cache through headers (`x-tollgate-cache`, `Cache-Control`). */
export interface CacheDirectives {
  ttlSeconds?: number;
  /** Do not answer from the cache (a fresh answer is still kept). */
  noCache?: boolean;
  /** Neither answer from the cache nor keep the answer. */
  noStore?: boolean;
}

export interface CachePlan {
  key: string;
  ttlSeconds: number;
  read: boolean;
}

interface Served {
  servedModel: string;
  provider: string;
  usage: TokenUsage;
}

export type CachedAnswer =
  | (Served & { kind: 'result'; content: LanguageModelV3Content[]; finishReason: LanguageModelV3FinishReason; warnings: SharedV3Warning[] })
  | (Served & { kind: 'stream'; parts: LanguageModelV3StreamPart[] });

export class ResponseCache {
  constructor(
    private readonly store: ResponseCacheStore,
    private readonly config: CacheConfig,
    private readonly now: () => number,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  /** Whether and how this request uses the cache; undefined when it does not. */
  plan(request: ChatRequest, context: RequestContext, stream: boolean): CachePlan | undefined {
    const asked = context.cache;
    // A request paid with its own keys is neither answered from nor kept in the gateway's cache.
    if (asked?.noStore || request.gateway?.byok) return undefined;
    const ttl = asked?.ttlSeconds ?? request.gateway?.cache?.ttl ?? this.configuredTtl(request.model, context);
    if (!ttl) return undefined;
    const { abortSignal: _signal, headers: _headers, ...call } = request.call as LanguageModelV3CallOptions;
    const { cache: _cache, user: _user, tags: _tags, byok: _byok, ...routing } = request.gateway ?? {};
    const normalized = stableJson([callerId(context.principal), stream, request.model, routing, call]);
    return {
      key: createHash('sha256').update(normalized).digest('base64url'),
      ttlSeconds: Math.min(ttl, this.config.maxTtlSeconds),
      read: !asked?.noCache,
    };
  }

  /** The kept answer, if any; a store that fails is a miss, logged. */
  async lookup(plan: CachePlan): Promise<CachedAnswer | undefined> {
    try {
      const kept = await this.store.get(plan.key, this.now());
      return kept === undefined ? undefined : (JSON.parse(kept, revive) as CachedAnswer);
    } catch (error) {
      this.logger.warn({ err: error }, 'response cache unreadable; answering from the provider');
      return undefined;
    }
  }

  /** Keeps an answer in the background; one over `maxEntryBytes` is not kept. */
  keep(plan: CachePlan, answer: CachedAnswer): void {
    const value = JSON.stringify(answer, preserve);
    if (Buffer.byteLength(value) > this.config.maxEntryBytes) return;
    const now = this.now();
    this.store.put(plan.key, value, now + plan.ttlSeconds * 1000, now).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'response cache unwritable; the answer was not kept');
    });
  }

  /** Deletes expired entries; how many went. */
  sweep(): Promise<number> {
    return this.store.sweep(this.now());
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private configuredTtl(model: string, context: RequestContext): number | undefined {
    const keyName = context.principal?.keyName ?? null;
    for (const rule of this.config.rules) {
      if (rule.keys && (keyName === null || !rule.keys.includes(keyName))) continue;
      if (rule.models && !matchesAny(model, rule.models)) continue;
      return rule.ttlSeconds;
    }
    return undefined;
  }
}

/** JSON with object keys sorted, so that equal requests hash equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, current: unknown) {
    const raw = key === '' ? current : this[key];
    if (raw instanceof Uint8Array) return { $bytes: Buffer.from(raw).toString('base64') };
    if (raw instanceof URL) return raw.href;
    if (current && typeof current === 'object' && !Array.isArray(current)) {
      return Object.fromEntries(Object.entries(current as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return current;
  });
}

/** Dates and bytes survive the trip through JSON. */
function preserve(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Date) return { $date: raw.toISOString() };
  if (raw instanceof Uint8Array) return { $bytes: Buffer.from(raw).toString('base64') };
  return value;
}

function revive(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if (typeof record.$date === 'string' && Object.keys(record).length === 1) return new Date(record.$date);
    if (typeof record.$bytes === 'string' && Object.keys(record).length === 1) return new Uint8Array(Buffer.from(record.$bytes, 'base64'));
  }
  return value;
}
