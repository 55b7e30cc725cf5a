import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { randomUUID } from 'node:crypto';
import type { SharedV3ProviderOptions } from '@ai-sdk/provider';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { Store } from '../store/types.js';
import type { AttemptRow } from '../store/types.js';
import { checkGatewayAttribution } from './attribution.js';
import { buildCatalog, describeModel } from './catalog.js';
import { ServedModels, type ModelLister } from './served-models.js';
import { ResponseCache, type CachedAnswer, type CachePlan } from './response-cache.js';
import type { ResponseCacheStore } from '../store/response-cache.js';
import { newRequestId } from './request-id.js';
import { Admission, type Admitted } from './admission.js';
import { audioDuration } from './estimate/audio-duration.js';
import { chatEstimate } from './estimate/chat-estimate.js';
import { boundWebSearches } from './estimate/web-searches.js';
import { textEstimate, type RequestEstimate } from './estimate/request-estimate.js';
import { Budgets } from '../policy/budgets.js';
import { RateLimiter } from '../policy/rate-limits.js';
import { reportScopeFor } from '../policy/report-scope.js';
import { keyPrincipal } from '../policy/auth/authenticate.js';
import { attributedUser } from '../policy/auth/principal-context.js';
import { seesEverything } from '../policy/auth/caller-id.js';
import type { EventSink, Principal } from '../policy/types.js';
import { StoreOutage } from '../policy/state/outage.js';
import type { PolicyState } from '../policy/state/types.js';
import { CircuitBreakers, type CircuitState } from './circuit-breaker.js';
import { Hooks } from './hooks.js';
import type { LiveSnapshot, LiveView } from './live-view.js';
import { healthId } from './candidates.js';
import { DeploymentFeed } from './deployment-figures.js';
import { DeploymentLimits, type DeploymentSlot } from './deployment-limits.js';
import { ModelGroups } from './model-groups.js';
import { KeyPools } from './key-pools.js';
import { BareNames } from './bare-names.js';
import { Byok, withByokRedaction } from './byok.js';
import { MediaShelf } from './media-shelf.js';
import { createRedactor, type Redact } from './redact.js';
import { audioTypeOfFormat, sniffAudioType } from './audio-type.js';
import { GatewayError } from './errors.js';
import type { Pricing } from './pricing.js';
import { route, type AttemptHandle, type Sleep } from './router.js';
import { Settler, type RequestMeta } from './settle.js';
import { canonicalChat, canonicalChatStream } from './canonical-chat.js';
import type { RoutedCall, RoutedOutcome } from './routed-call.js';
import { cutStreamUsage } from './served-usage.js';
import type {
  Accounting,
  BudgetStatus,
  CatalogEntry,
  ChatRequest,
  ChatResult,
  ChatStream,
  EmbedRequest,
  EmbedResult,
  Gateway,
  GatewayOptions,
  ImageRequest,
  ImageResult,
  RequestContext,
  RerankRequest,
  RerankResult,
  SpeechRequest,
  SpeechResult,
  TranscribeRequest,
  TranscribeResult,
} from './types.js';
import { fromNanos, usageProblem, zeroUsage } from './usage.js';

export interface GatewayDeps {
  config: Config;
  registry: ProviderRegistry;
  pricing: Pricing;
  store: Store;
  logger: Logger;
  /** Where budget thresholds are announced (webhooks). */
  events?: EventSink;
  /** Budget counters, rate windows and breaker state: this process's memory, or shared. */
  state: PolicyState;
  /** Budget periods, rate windows, breakers and ledger times follow this clock (tests move it). */
  clock?: () => Date;
  /** The router's backoff and `retry-after` waits (tests record them instead of waiting). */
  sleep?: Sleep;
  /** What to do while the state store is out of reach (default: as config says). */
  outage?: StoreOutage;
  /** What the core tells about each request as it runs (logs, metrics, traces, live view subscribe). */
  hooks?: Hooks;
  /** The requests in flight and the last minute's, for the console's live view. */
  live?: LiveView;
  /** Where the response cache keeps answers; without it there is no response cache. */
  responseCache?: ResponseCacheStore;
}

/** The gateway core as the server and the faces hold it. */
export interface GatewayCore extends Gateway {
  /** One routed call whose wire the caller owns (a face piping its own format uses it). */
  call<V>(spec: RoutedCall<V>, context: RequestContext): Promise<RoutedOutcome<V>>;
  /** Deletes kept images and audio past `server.mediaTtlMs`; returns how many went. */
  sweepMedia(): Promise<number>;
  /** Deletes expired response-cache entries; returns how many went. */
  sweepCache(): Promise<number>;
  /** Whether the response cache applies to this chat request (it then takes the canonical path). */
  usesCache(request: ChatRequest, context: RequestContext, stream: boolean): boolean;
  /** The circuit breaker's state for a model (or deployment) id. */
  circuitState(id: string): Promise<'closed' | 'open' | 'half-open'>;
}

export function createGateway(deps: GatewayDeps): GatewayCore {
  return new GatewayImpl(deps);
}

class GatewayImpl implements GatewayCore {
  private readonly settler: Settler;
  readonly hooks: Hooks;
  private catalogCache: { served: ReadonlyMap<string, readonly string[]>; entries: CatalogEntry[] } | undefined;
  private readonly served: ServedModels;
  private readonly cache: ResponseCache | undefined;
  private readonly described = new Map<string, CatalogEntry | undefined>();
  private readonly redact: Redact;
  private readonly budgets: Budgets;
  private readonly breakers: CircuitBreakers;
  private readonly admission: Admission;
  private readonly media: MediaShelf;
  /** The gateway's clock in ms since the epoch. */
  private readonly now: () => number;
  private readonly deploymentFeed: DeploymentFeed;
  private readonly deploymentLimits: DeploymentLimits;
  private readonly keyPools: KeyPools;

  constructor(private readonly deps: GatewayDeps) {
    this.redact = createRedactor(deps.config);
    this.hooks = deps.hooks ?? new Hooks(deps.logger);
    const outage = deps.outage ?? new StoreOutage(deps.config.limits.onStoreOutage, deps.logger);
    const clock = deps.clock;
    this.now = clock ? () => clock().getTime() : Date.now;
    const now = this.now;
    this.breakers = new CircuitBreakers(deps.config.routing.circuitBreaker, deps.state.breakers, outage, now);
    this.budgets = new Budgets({
      config: deps.config,
      counters: deps.state.budgets,
      spentSince: (filter) => deps.store.spend.costSince(filter),
      events: deps.events ?? { emit: () => undefined },
      outage,
      ...(deps.clock ? { clock: deps.clock } : {}),
    });
    this.deploymentFeed = new DeploymentFeed(clock ? now : undefined);
    this.deploymentLimits = new DeploymentLimits(deps.state.rateWindows, outage, now);
    this.keyPools = new KeyPools(deps.config, deps.registry, deps.config.routing.keyRestMs, now);
    const groups = new ModelGroups(deps.config, deps.registry, deps.pricing, this.deploymentFeed);
    this.admission = new Admission(
      deps.config,
      deps.registry,
      deps.pricing,
      this.budgets,
      new RateLimiter(deps.state.rateWindows, outage, now),
      (id) => this.describe(id)?.max_tokens,
      { groups, bare: new BareNames(deps.config), byok: new Byok(deps.registry, deps.config.routing.byok.allowPrivateBaseURL) },
    );
    const listers = new Map<string, ModelLister>();
    for (const entry of deps.registry.values()) if (entry.listModels) listers.set(entry.id, entry.listModels);
    this.served = new ServedModels(listers, { ...deps.config.catalog, now, logger: deps.logger, redact: this.redact });
    this.cache = deps.responseCache && new ResponseCache(deps.responseCache, deps.config.cache, now, deps.logger);
    this.settler = new Settler(deps.store.ledger, deps.pricing, deps.logger, deps.clock, this.hooks);
    this.media = new MediaShelf(deps.store.blobs, deps.config.server.mediaTtlMs, deps.clock ?? (() => new Date()));
  }

  /**
   * Runs one routed operation: admission (policy, rate limits, budget holds), attempts with
   * fallback, and the ledger row on failure (success rows are written by the settler; a policy
   * refusal at admission is counted rather than given a row).
   */
  private async routed<T>(
    meta: RequestMeta,
    model: string,
    gateway: GatewayOptions | undefined,
    estimate: () => RequestEstimate,
    run: (attempt: AttemptHandle) => PromiseLike<T>,
    keepAttemptOpen = false,
  ): Promise<{ value: T; attempt: AttemptHandle; failures: AttemptRow[] }> {
    const failures: AttemptRow[] = [];
    if (gateway?.byok) meta.byok = true;
    let admitted: Admitted;
    let circuitAhead: { id: string; state: Promise<CircuitState> } | undefined;
    try {
      admitted = await this.admission.admit({
        model,
        gateway,
        principal: meta.context.principal,
        user: meta.context.user ?? null,
        tags: meta.context.tags ?? [],
        estimate,
        onFirstCandidate: (candidate) => {
          const id = healthId(candidate);
          const state = this.breakers.state(id);
          // Read by the router, or by nobody when admission refuses: a failure is the router's to handle.
          state.catch(() => undefined);
          circuitAhead = { id, state };
        },
      });
    } catch (error) {
      this.settler.refused(meta, error);
      throw error instanceof GatewayError ? error : new GatewayError('internal', 'internal error while routing the request');
    }
    const slots = new Map<string, DeploymentSlot>();
    try {
      meta.admitted = admitted;
      if (this.hooks.has('admitted')) this.hooks.emit('admitted', { requestId: meta.requestId, candidates: admitted.candidates.map((candidate) => candidate.id) });
      if (admitted.rateLimit) meta.context.rateLimit = admitted.rateLimit;
      const outcome = await route(
        admitted.candidates,
        {
          requestId: meta.requestId,
          routing: this.deps.config.routing,
          failures,
          keepAttemptOpen,
          redact: withByokRedaction(this.redact, gateway?.byok),
          breakers: this.breakers,
          ...(circuitAhead ? { circuitAhead } : {}),
          ...(this.deps.sleep ? { sleep: this.deps.sleep } : {}),
          clock: this.now,
          contextWindowOf: (candidate) => this.describe(candidate.id)?.context_window,
          costOf: (candidate, usage) => this.settler.costNanos(candidate, usage),
          takeSlot: async (candidate) => {
            const deployment = candidate.deployment;
            if (!deployment?.rpm && !deployment?.tpm) return { full: false };
            const { usage } = admitted.worstCase(candidate);
            const outcome = await this.deploymentLimits.take(deployment, usage.input + usage.output);
            if (outcome.kind === 'full') return { full: true, retryAfterSeconds: outcome.retryAfterSeconds };
            slots.set(deployment.id, outcome.slot);
            return { full: false };
          },
          watch: (candidate) => this.deploymentFeed.started(healthId(candidate)),
          keys: this.keyPools,
          ...(meta.context.signal ? { clientSignal: meta.context.signal } : {}),
          hooks: this.hooks,
        },
        run,
      );
      const servedId = outcome.handle.candidate.deployment?.id;
      const served = servedId === undefined ? undefined : slots.get(servedId);
      for (const [id, slot] of slots) if (id !== servedId) slot.release();
      if (served) {
        meta.admitted = {
          ...admitted,
          settle: (costNanos, tokens) => {
            admitted.settle(costNanos, tokens);
            served.settle(tokens);
          },
          release: () => {
            admitted.release();
            served.release();
          },
        };
      }
      return { value: outcome.value, attempt: outcome.handle, failures };
    } catch (error) {
      for (const slot of slots.values()) slot.release();
      this.settler.failure(meta, error, failures);
      throw error instanceof GatewayError ? error : new GatewayError('internal', 'internal error while routing the request');
    }
  }

  /**
   * The request's bookkeeping. Attribution: a user the request names (header, then body) counts
   * only for callers allowed to name one; others are recorded under their own user, or none.
   * Tags from the key and the request add up.
   */
  private meta(context: RequestContext, operation: RequestMeta['operation'], stream: boolean, requestedModel: string, gateway?: GatewayOptions): RequestMeta {
    checkGatewayAttribution(gateway);
    const principal = context.principal;
    context.user = attributedUser(principal, context.user ?? gateway?.user);
    // Tags from the `ai-reporting-tags` header (context) join the body's, as on Vercel AI Gateway.
    const requestTags = [...new Set([...(gateway?.tags ?? []), ...(context.tags ?? [])])];
    context.tags = principal?.tags.length ? [...new Set([...principal.tags, ...requestTags])] : requestTags;
    const meta: RequestMeta = {
      requestId: context.requestId ?? newRequestId(),
      face: context.face,
      operation,
      stream,
      requestedModel,
      context,
      startedAt: performance.now(),
    };
    this.hooks.emit('requestReceived', {
      requestId: meta.requestId,
      face: meta.face,
      operation,
      stream,
      model: requestedModel,
      keyId: principal?.keyId ?? context.keyId ?? null,
      keyName: principal?.keyName ?? null,
      user: context.user ?? null,
      ...(context.traceparent ? { traceparent: context.traceparent } : {}),
    });
    return meta;
  }

  /** Passes the stream on, and keeps it once it ended with its `finish` part and no error. */
  private keepStream(plan: CachePlan, stream: ChatStream): ChatStream {
    const cache = this.cache!;
    const kept: LanguageModelV3StreamPart[] = [];
    async function* recorded(): AsyncIterable<LanguageModelV3StreamPart> {
      let clean = true;
      let finished = false;
      for await (const part of stream.parts) {
        if (part.type === 'error') clean = false;
        if (part.type === 'finish') finished = true;
        if (part.type !== 'raw') kept.push(part);
        yield part;
      }
      if (!clean || !finished) return;
      const accounting = await stream.settled;
      const answer: CachedAnswer = { kind: 'stream', servedModel: accounting.servedModel, provider: accounting.provider, usage: accounting.usage, parts: kept };
      cache.keep(plan, answer);
    }
    return { ...stream, parts: recorded(), cache: 'miss' };
  }

  /**
   * One routed call: admission against its estimate, the attempts with retry and fallback, and
   * the ledger. A whole answer is settled at once; a stream is followed past its commit point
   * (idle cut, client gone) and settled at its end, billed for what came when it breaks.
   */
  async call<V>(spec: RoutedCall<V>, context: RequestContext): Promise<RoutedOutcome<V>> {
    const meta = this.meta(context, spec.operation, spec.stream, spec.model, spec.gateway);
    const { value: answer, attempt, failures } = await this.routed(
      meta,
      spec.model,
      spec.gateway,
      () => spec.estimate(),
      (handle) => spec.attempt({ ...handle, outputCap: meta.admitted?.outputCap(handle.candidate), requestStartedAt: meta.startedAt }),
      spec.stream,
    );
    if (answer.kind === 'whole') {
      attempt.release();
      return { kind: 'whole', value: answer.value, accounting: this.settler.success(meta, attempt, failures, answer.served) };
    }
    this.hooks.emit('firstToken', { requestId: meta.requestId, ttftMs: answer.ttftMs });
    let resolveSettled!: (accounting: Accounting) => void;
    const settled = new Promise<Accounting>((resolve) => {
      resolveSettled = resolve;
    });
    const value = answer.follow({
      idleTimeoutMs: attempt.candidate.provider.config.idleTimeoutMs,
      cancel: () => attempt.abort(),
      clientSignal: meta.context.signal,
      costOf: (usage) => {
        // The cost the ledger will hold: of the worst case when the reported usage cannot be believed.
        const billed = usageProblem(usage) === null ? usage : meta.admitted?.worstCase(attempt.candidate).usage;
        return billed ? fromNanos(this.settler.costNanos(attempt.candidate, billed)) : null;
      },
      onEnd: (end) => {
        attempt.release();
        resolveSettled(
          this.settler.success(meta, attempt, failures, {
            usage: end.usage ?? cutStreamUsage(meta, attempt, end.outputBytes),
            ttftMs: answer.ttftMs,
            status: end.status,
            errorKind: end.error?.kind ?? (end.status === 'cancelled' ? 'client_closed' : null),
          }),
        );
      },
    });
    return {
      kind: 'stream',
      value,
      stream: { requestId: meta.requestId, servedModel: attempt.candidate.id, provider: attempt.candidate.provider.id, attempts: attempt.seq, settled },
    };
  }

  /** A whole answer's value and accounting; a call that can only answer whole never gets a stream. */
  private async callWhole<V>(spec: RoutedCall<V>, context: RequestContext): Promise<{ value: V; accounting: Accounting }> {
    const outcome = await this.call(spec, context);
    if (outcome.kind !== 'whole') throw new GatewayError('internal', `a ${spec.operation} call answered with a stream`);
    return outcome;
  }

  async chat(unbounded: ChatRequest, context: RequestContext): Promise<ChatResult> {
    const request = this.withSearchBound(unbounded);
    const plan = this.cache?.plan(request, context, false);
    const hit = plan?.read ? await this.cache!.lookup(plan) : undefined;
    if (hit?.kind === 'result') {
      const { content, finishReason, warnings } = hit;
      const meta = this.meta(context, 'chat', false, request.model, request.gateway);
      return { ...this.settler.cacheHit(meta, hit), content, finishReason, warnings };
    }
    const result = await this.uncachedChat(request, context);
    if (!plan) return result;
    const { servedModel, provider, usage, content, finishReason, warnings } = result;
    this.cache!.keep(plan, { kind: 'result', servedModel, provider, usage, content, finishReason, warnings });
    return { ...result, cache: 'miss' };
  }

  private async uncachedChat(request: ChatRequest, context: RequestContext): Promise<ChatResult> {
    const { value, accounting } = await this.callWhole(
      {
        operation: 'chat',
        model: request.model,
        gateway: request.gateway,
        stream: false,
        estimate: () => chatEstimate(request.call),
        attempt: (attempt) => canonicalChat(attempt, request.call),
      },
      context,
    );
    return { ...accounting, content: value.content, finishReason: value.finishReason, warnings: value.warnings };
  }

  async chatStream(unbounded: ChatRequest, context: RequestContext): Promise<ChatStream> {
    const request = this.withSearchBound(unbounded);
    const plan = this.cache?.plan(request, context, true);
    const hit = plan?.read ? await this.cache!.lookup(plan) : undefined;
    if (hit?.kind === 'stream') {
      const meta = this.meta(context, 'chat', true, request.model, request.gateway);
      const accounting = this.settler.cacheHit(meta, hit);
      return { ...accounting, parts: replay(hit.parts), settled: Promise.resolve(accounting), cache: 'hit' };
    }
    const stream = await this.uncachedStream(request, context);
    return plan ? this.keepStream(plan, stream) : stream;
  }

  private async uncachedStream(request: ChatRequest, context: RequestContext): Promise<ChatStream> {
    const outcome = await this.call(
      {
        operation: 'chat',
        model: request.model,
        gateway: request.gateway,
        stream: true,
        estimate: () => chatEstimate(request.call),
        attempt: (attempt) => canonicalChatStream(attempt, request.call, (parts) => parts),
      },
      context,
    );
    if (outcome.kind !== 'stream') throw new GatewayError('internal', 'a chat stream answered whole');
    return { ...outcome.stream, parts: outcome.value };
  }

  /** The request with a bound on its provider web searches, as held and as sent. */
  private withSearchBound(request: ChatRequest): ChatRequest {
    const call = boundWebSearches(request.call, this.deps.config.limits.webSearchMaxUses);
    return call === request.call ? request : { ...request, call };
  }

  usesCache(request: ChatRequest, context: RequestContext, stream: boolean): boolean {
    return this.cache?.plan(request, context, stream) !== undefined;
  }

  sweepCache(): Promise<number> {
    return this.cache?.sweep() ?? Promise.resolve(0);
  }

  async embed(request: EmbedRequest, context: RequestContext): Promise<EmbedResult> {
    if (request.values.length === 0) throw new GatewayError('invalid_request', 'input must hold at least one text', { param: 'input' });
    const { value, accounting } = await this.callWhole(
      {
        operation: 'embed',
        model: request.model,
        gateway: request.gateway,
        stream: false,
        estimate: () => ({ inputTokens: textEstimate(request.values), maxOutputTokens: 0 }),
        attempt: async ({ candidate, signal }) => {
          const value = await candidate.provider.embedding(candidate.modelId).doEmbed({
            values: request.values,
            abortSignal: signal,
            ...(request.dimensions ? { providerOptions: candidate.provider.quirks.embeddingDimensions(request.dimensions) } : {}),
          });
          return { kind: 'whole', value, served: { usage: value.usage ? { ...zeroUsage(), input: value.usage.tokens } : undefined } };
        },
      },
      context,
    );
    return { ...accounting, embeddings: value.embeddings };
  }

  async rerank(request: RerankRequest, context: RequestContext): Promise<RerankResult> {
    if (request.documents.length === 0) throw new GatewayError('invalid_request', 'documents must hold at least one document', { param: 'documents' });
    const { value, accounting } = await this.callWhole(
      {
        operation: 'rerank',
        model: request.model,
        gateway: request.gateway,
        stream: false,
        estimate: () => ({ inputTokens: textEstimate([request.query, ...request.documents]), maxOutputTokens: 0 }),
        attempt: async ({ candidate, signal }) => {
          const value = await candidate.provider.reranking(candidate.modelId).doRerank({
            query: request.query,
            documents: { type: 'text', values: request.documents },
            abortSignal: signal,
            ...(request.topN ? { topN: request.topN } : {}),
          });
          // Rerank is priced per search, not per token: the price's per-request fee covers it.
          return { kind: 'whole', value, served: { usage: zeroUsage() } };
        },
      },
      context,
    );
    return { ...accounting, ranking: value.ranking.map((entry) => ({ index: entry.index, relevanceScore: entry.relevanceScore })) };
  }

  async generateImage(request: ImageRequest, context: RequestContext): Promise<ImageResult> {
    const { value, accounting } = await this.callWhole(
      {
        operation: 'image',
        model: request.model,
        gateway: request.gateway,
        stream: false,
        estimate: () => ({ inputTokens: textEstimate([request.prompt]), images: request.n, imageOutputTokens: IMAGE_OUTPUT_TOKENS }),
        attempt: async ({ candidate, signal }) => {
          const value = await candidate.provider.image(candidate.modelId).doGenerate({
            prompt: request.prompt,
            n: request.n,
            size: request.size,
            aspectRatio: undefined,
            seed: undefined,
            files: undefined,
            mask: undefined,
            providerOptions: {},
            abortSignal: signal,
          });
          // Images priced per image report no tokens, and need none.
          const usage = { ...zeroUsage(), input: value.usage?.inputTokens ?? 0, output: value.usage?.outputTokens ?? 0 };
          return { kind: 'whole', value, served: { usage, images: value.images.length } };
        },
      },
      context,
    );
    const images = value.images.map((image) => {
      const bytes = typeof image === 'string' ? Buffer.from(image, 'base64') : image;
      return { id: randomUUID(), mediaType: sniffImageType(bytes), bytes: new Uint8Array(bytes) };
    });
    await this.media.put(images, context.principal);
    return { ...accounting, images };
  }

  async speech(request: SpeechRequest, context: RequestContext): Promise<SpeechResult> {
    if (request.text.length === 0) throw new GatewayError('invalid_request', 'the text to speak is empty', { param: 'input' });
    const characters = request.text.length;
    const { value, accounting } = await this.callWhole(
      {
        operation: 'speech',
        model: request.model,
        gateway: request.gateway,
        stream: false,
        estimate: () => ({ inputTokens: textEstimate([request.text]), characters }),
        attempt: async ({ candidate, signal }) => {
          const value = await candidate.provider.speech(candidate.modelId).doGenerate({
            text: request.text,
            abortSignal: signal,
            ...(request.voice !== undefined ? { voice: request.voice } : {}),
            ...(request.format !== undefined ? { outputFormat: request.format } : {}),
            ...(request.speed !== undefined ? { speed: request.speed } : {}),
            ...(request.instructions !== undefined ? { instructions: request.instructions } : {}),
            ...(request.language !== undefined ? { language: request.language } : {}),
            ...(request.providerOptions ? { providerOptions: request.providerOptions } : {}),
          });
          // Speech is billed per character; providers report no tokens for it.
          return { kind: 'whole', value, served: { usage: zeroUsage(), media: { unit: 'characters', amount: characters } } };
        },
      },
      context,
    );
    const audio = typeof value.audio === 'string' ? new Uint8Array(Buffer.from(value.audio, 'base64')) : value.audio;
    // The bytes say what was made; a provider may fall back to another format than the one asked for.
    const mediaType = sniffAudioType(audio) ?? audioTypeOfFormat(request.format ?? 'mp3') ?? 'application/octet-stream';
    let id: string | undefined;
    if (request.store) {
      id = randomUUID();
      await this.media.put([{ id, mediaType, bytes: audio }], context.principal);
    }
    return { ...accounting, audio, mediaType, characters, warnings: value.warnings, ...(id ? { id } : {}) };
  }

  async transcribe(request: TranscribeRequest, context: RequestContext): Promise<TranscribeResult> {
    if (request.audio.byteLength === 0) throw new GatewayError('invalid_request', 'the audio is empty', { param: 'file' });
    const options = {
      ...(request.language !== undefined ? { language: request.language } : {}),
      ...(request.prompt !== undefined ? { prompt: request.prompt } : {}),
    };
    const { value, accounting } = await this.callWhole(
      {
        operation: 'transcription',
        model: request.model,
        gateway: request.gateway,
        stream: false,
        // Held for the audio's length as its container states it, or its size at the lowest plausible bitrate.
        estimate: () => ({
          inputTokens: textEstimate(request.prompt ? [request.prompt] : []),
          audioSeconds: Math.ceil(audioDuration(request.audio).seconds) + 1,
        }),
        attempt: async ({ candidate, signal }) => {
          const value = await candidate.provider.transcription(candidate.modelId).doGenerate({
            audio: request.audio,
            mediaType: request.mediaType,
            abortSignal: signal,
            providerOptions: mergeProviderOptions(candidate.provider.quirks.transcriptionOptions(options), request.providerOptions),
          });
          const usage = { ...zeroUsage(), ...candidate.provider.quirks.transcriptionTokens(value.response.body) };
          return { kind: 'whole', value, served: { usage, media: { unit: 'audioSeconds', amount: value.durationInSeconds ?? null } } };
        },
      },
      context,
    );
    const durationSeconds = value.durationInSeconds;
    return {
      ...accounting,
      text: value.text,
      warnings: value.warnings,
      ...(value.segments.length ? { segments: value.segments } : {}),
      ...(value.language ? { language: value.language } : {}),
      ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    };
  }

  getImage(id: string, principal: Principal | undefined) {
    return this.media.get(id, principal);
  }

  sweepMedia(): Promise<number> {
    return this.media.sweep();
  }

  circuitState(id: string) {
    return this.breakers.state(id);
  }

  /** What is known of `provider/model` (context window, output limit), served or not; the catalog only informs. */
  private describe(id: string): CatalogEntry | undefined {
    if (!this.described.has(id)) {
      const slash = id.indexOf('/');
      const entry = slash > 0 ? this.deps.registry.get(id.slice(0, slash)) : undefined;
      this.described.set(id, entry && describeModel(this.deps.config, entry, this.deps.pricing, id.slice(slash + 1)));
    }
    return this.described.get(id);
  }

  async catalog(): Promise<CatalogEntry[]> {
    const served = await this.served.current();
    if (this.catalogCache?.served !== served) {
      const providers = [...this.deps.registry.values()].map((entry) => ({ id: entry.id, kind: entry.kind }));
      this.catalogCache = { served, entries: buildCatalog(this.deps.config, providers, this.deps.pricing, (id) => served.get(id)) };
    }
    return this.catalogCache.entries;
  }

  /**
   * The budgets a caller may read. The admin and anonymous loopback use see every budget that
   * applies, the global one included; any other caller sees its own scopes only (key, user, tag):
   * the global budget's figures are the whole gateway's spend. It is still held at admission.
   */
  budgetStatus(principal: Parameters<Gateway['budgetStatus']>[0]): Promise<BudgetStatus[]> {
    const scopes = this.budgets.scopesFor(principal, principal?.user ?? null, principal?.tags ?? []);
    return this.budgets.status(seesEverything(principal) ? scopes : scopes.filter((scope) => scope.scope !== 'global'));
  }


  report(query: Parameters<Gateway['report']>[0], principal: Parameters<Gateway['report']>[1]) {
    return this.deps.store.reports.report(query, reportScopeFor(principal));
  }

  listRequests(query: Parameters<Gateway['listRequests']>[0], principal: Parameters<Gateway['listRequests']>[1]) {
    return this.deps.store.reports.listRequests(query, reportScopeFor(principal));
  }

  getRequest(id: string, principal: Parameters<Gateway['getRequest']>[1]) {
    return this.deps.store.reports.getRequest(id, reportScopeFor(principal));
  }

  live(principal: Parameters<Gateway['live']>[0]): LiveSnapshot {
    const scope = reportScopeFor(principal);
    return this.deps.live?.snapshot(scope) ?? { now: (this.deps.clock?.() ?? new Date()).toISOString(), inFlight: [], lastMinute: { requests: 0, errors: 0, cancelled: 0, costNanos: 0, seconds: [] } };
  }

  async watchedBudgets(principal: Parameters<Gateway['watchedBudgets']>[0]): Promise<BudgetStatus[]> {
    if (reportScopeFor(principal).kind !== 'all') return this.budgetStatus(principal);
    const keyScopes = (await this.deps.store.keys.list())
      .flatMap((record) => this.budgets.scopesFor(keyPrincipal(record), null, []).filter((scope) => scope.scope === 'key'));
    return this.budgets.status([...this.budgets.configuredScopes(), ...keyScopes]);
  }
}

/** gpt-image-1's largest high-quality image (1024×1536) bills 6,240 output tokens. */
const IMAGE_OUTPUT_TOKENS = 6_240;

/** `extra` over `base`, namespace by namespace. */
function mergeProviderOptions(base: SharedV3ProviderOptions, extra: SharedV3ProviderOptions | undefined): SharedV3ProviderOptions {
  if (!extra) return base;
  const merged: SharedV3ProviderOptions = { ...base };
  for (const [name, options] of Object.entries(extra)) merged[name] = { ...base[name], ...options };
  return merged;
}

function sniffImageType(bytes: Uint8Array): string {
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x52 && bytes[1] === 0x49) return 'image/webp';
  if (bytes[0] === 0x47 && bytes[1] === 0x49) return 'image/gif';
  return 'application/octet-stream';
}

/** A kept stream, part by part, as it was first streamed. */
async function* replay(parts: LanguageModelV3StreamPart[]): AsyncIterable<LanguageModelV3StreamPart> {
  for (const part of parts) yield part;
}
