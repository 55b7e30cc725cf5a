import type { EmbeddingModelV3, ImageModelV3, LanguageModelV3, RerankingModelV3, SpeechModelV3, TranscriptionModelV3 } from '@ai-sdk/provider';
import type { Config, ProviderConfig, ProviderKind } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import {
  LazyEmbeddingModel,
  LazyImageModel,
  LazyLanguageModel,
  LazyRerankingModel,
  LazySpeechModel,
  LazyTranscriptionModel,
  type LazyModelClass,
  type ModelLoader,
} from './lazy-models.js';
import { callQuirksOf, type CallQuirks } from './call-options.js';
import { createMockProvider } from './mock/index.js';
import { builtinModels } from './builtin-models.js';
import { fetchModelIds } from './model-list.js';
import type { ResponseLimits } from './response-limits.js';
import { openaiLanguageModel } from './openai-language.js';
import { createUndiciFetch } from './undici-fetch.js';
import { serviceTierFetch, withServiceTier } from './anthropic-service-tier.js';

/**
 * Everything the core needs to call one configured provider. The models of the AI SDK kinds
 * import their provider package on their first call (lazy-models.ts).
 */
export interface ProviderEntry {
  id: string;
  kind: ProviderKind;
  config: ProviderConfig;
  language(modelId: string): LanguageModelV3;
  embedding(modelId: string): EmbeddingModelV3;
  reranking(modelId: string): RerankingModelV3;
  image(modelId: string): ImageModelV3;
  speech(modelId: string): SpeechModelV3;
  transcription(modelId: string): TranscriptionModelV3;
  /** Speaks OpenAI's chat-completions wire format, so an OpenAI-face request can be piped as is. */
  openaiWire: boolean;
  /** Caps on one answer of this provider, on every path (AI SDK packages and passthrough). */
  responseLimits: ResponseLimits;
  /** The model ids it serves, from its model-list endpoint; absent when config pins its list. */
  listModels?: () => Promise<string[]>;
  /** How this kind's calls are asked for and what their answers report, beyond the V3 specification. */
  quirks: CallQuirks;
  /**
   * The same provider, under the same id, with another key or base URL: a deployment's own, a
   * key of a pool, or a request's own key. Its models are made afresh, so they carry that key.
   */
  withCredentials(credentials: Credentials): ProviderEntry;
}

export interface Credentials {
  apiKey?: string | undefined;
  baseURL?: string | undefined;
}

export type ProviderRegistry = Map<string, ProviderEntry>;

export function createProviderRegistry(config: Config): ProviderRegistry {
  const registry: ProviderRegistry = new Map();
  const limits = config.routing.responseLimits;
  const fetch = createUndiciFetch(limits);
  for (const [id, providerConfig] of Object.entries(config.providers)) {
    registry.set(id, createEntry(id, providerConfig, limits, fetch, config.catalog.timeoutMs));
  }
  return registry;
}

interface ModelFactories {
  language?: (modelId: string) => LanguageModelV3;
  embedding?: (modelId: string) => EmbeddingModelV3;
  reranking?: (modelId: string) => RerankingModelV3;
  image?: (modelId: string) => ImageModelV3;
  speech?: (modelId: string) => SpeechModelV3;
  transcription?: (modelId: string) => TranscriptionModelV3;
}

function createEntry(id: string, config: ProviderConfig, responseLimits: ResponseLimits, fetch: typeof globalThis.fetch, listTimeoutMs: number): ProviderEntry {
  const factories = factoriesFor(id, config, fetch);
  const unsupported = (what: string) => (modelId: string): never => {
    throw new GatewayError('upstream_unsupported', `provider ${id} (${config.kind}) has no ${what} models; ${id}/${modelId} cannot serve this request`, {
      provider: id,
      model: `${id}/${modelId}`,
    });
  };
  return {
    id,
    kind: config.kind,
    config,
    withCredentials: (credentials) =>
      createEntry(
        id,
        {
          ...config,
          ...(credentials.apiKey !== undefined ? { apiKey: credentials.apiKey } : {}),
          ...(credentials.baseURL !== undefined ? { baseURL: credentials.baseURL } : {}),
        },
        responseLimits,
        fetch,
        listTimeoutMs,
      ),
    language: factories.language ?? unsupported('language'),
    embedding: factories.embedding ?? unsupported('embedding'),
    reranking: factories.reranking ?? unsupported('reranking'),
    image: factories.image ?? unsupported('image'),
    speech: factories.speech ?? unsupported('speech'),
    transcription: factories.transcription ?? unsupported('transcription'),
    openaiWire: config.kind === 'openai' || config.kind === 'openai-compatible',
    responseLimits,
    ...modelLister(config, fetch, listTimeoutMs),
    quirks: callQuirksOf(config.kind),
  };
}

function factoriesFor(id: string, config: ProviderConfig, fetch: typeof globalThis.fetch): ModelFactories {
  const common = {
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    ...(config.headers ? { headers: config.headers } : {}),
    fetch,
  };
  // Each package is imported, and its provider created, by the first call of a model that needs it.
  const lazy =
    <M>(Model: LazyModelClass<M>, load: ModelLoader<M>) =>
    (modelId: string): M =>
      new Model(id, modelId, load);
  switch (config.kind) {
    case 'openai': {
      const provider = once(async () => (await import('@ai-sdk/openai')).createOpenAI({ ...common, name: id }));
      // Chat Completions rather than Responses: every OpenAI-compatible host speaks it.
      return {
        language: lazy(LazyLanguageModel, async (modelId) => {
          const openai = await provider();
          return openaiLanguageModel(openai.chat(modelId), openai.responses(modelId));
        }),
        embedding: lazy(LazyEmbeddingModel, async (modelId) => (await provider()).embedding(modelId)),
        image: lazy(LazyImageModel, async (modelId) => (await provider()).image(modelId)),
        speech: lazy(LazySpeechModel, async (modelId) => (await provider()).speech(modelId)),
        transcription: lazy(LazyTranscriptionModel, async (modelId) => (await provider()).transcription(modelId)),
      };
    }
    case 'openai-compatible': {
      if (!config.baseURL) throw new GatewayError('internal', `provider ${id}: an openai-compatible provider needs a baseURL`);
      const baseURL = config.baseURL;
      const provider = once(async () =>
        (await import('@ai-sdk/openai-compatible')).createOpenAICompatible({ ...common, baseURL, name: id, includeUsage: true }),
      );
      // The compatible package has no audio models; hosts that serve OpenAI's /audio/speech and
      // /audio/transcriptions (Groq, LocalAI, vLLM, Speaches) speak OpenAI's wire, so its models do.
      const audio = once(async () => (await import('@ai-sdk/openai')).createOpenAI({ ...common, baseURL, name: id }));
      return {
        language: lazy(LazyLanguageModel, async (modelId) => (await provider()).chatModel(modelId)),
        embedding: lazy(LazyEmbeddingModel, async (modelId) => (await provider()).embeddingModel(modelId)),
        image: lazy(LazyImageModel, async (modelId) => (await provider()).imageModel(modelId)),
        speech: lazy(LazySpeechModel, async (modelId) => (await audio()).speech(modelId)),
        transcription: lazy(LazyTranscriptionModel, async (modelId) => (await audio()).transcription(modelId)),
      };
    }
    case 'anthropic': {
      // Anthropic's own SDK takes ANTHROPIC_BASE_URL without the version path; the AI SDK wants it.
      const baseURL = config.baseURL && !/\/v1\/?$/.test(config.baseURL) ? `${config.baseURL.replace(/\/$/, '')}/v1` : config.baseURL;
      const provider = once(async () =>
        (await import('@ai-sdk/anthropic')).createAnthropic({ ...common, fetch: serviceTierFetch(fetch), ...(baseURL ? { baseURL } : {}) }),
      );
      return { language: lazy(LazyLanguageModel, async (modelId) => withServiceTier((await provider()).messages(modelId))) };
    }
    case 'google': {
      const provider = once(async () => (await import('@ai-sdk/google')).createGoogleGenerativeAI(common));
      return {
        language: lazy(LazyLanguageModel, async (modelId) => (await provider()).chat(modelId)),
        embedding: lazy(LazyEmbeddingModel, async (modelId) => (await provider()).embedding(modelId)),
        image: lazy(LazyImageModel, async (modelId) => (await provider()).image(modelId)),
      };
    }
    case 'mistral': {
      const provider = once(async () => (await import('@ai-sdk/mistral')).createMistral(common));
      return {
        language: lazy(LazyLanguageModel, async (modelId) => (await provider()).chat(modelId)),
        embedding: lazy(LazyEmbeddingModel, async (modelId) => (await provider()).embedding(modelId)),
      };
    }
    case 'cohere': {
      const provider = once(async () => (await import('@ai-sdk/cohere')).createCohere(common));
      return {
        language: lazy(LazyLanguageModel, async (modelId) => (await provider()).languageModel(modelId)),
        embedding: lazy(LazyEmbeddingModel, async (modelId) => (await provider()).embedding(modelId)),
        reranking: lazy(LazyRerankingModel, async (modelId) => (await provider()).reranking(modelId)),
      };
    }
    case 'mock': {
      const provider = createMockProvider();
      return {
        language: (modelId) => provider.languageModel(modelId),
        embedding: (modelId) => provider.embeddingModel(modelId),
        reranking: (modelId) => provider.rerankingModel(modelId),
        image: (modelId) => provider.imageModel(modelId),
        speech: (modelId) => provider.speechModel(modelId),
        transcription: (modelId) => provider.transcriptionModel(modelId),
      };
    }
  }
}

function modelLister(config: ProviderConfig, fetch: typeof globalThis.fetch, timeoutMs: number): Pick<ProviderEntry, 'listModels'> {
  const builtin = builtinModels(config.kind);
  if (builtin.length) return { listModels: async () => builtin.map((model) => model.modelId) };
  if (!config.discoverModels) return {};
  return { listModels: () => fetchModelIds(config, fetch, timeoutMs) };
}

function once<T>(create: () => Promise<T>): () => Promise<T> {
  let created: Promise<T> | undefined;
  return () => (created ??= create());
}
