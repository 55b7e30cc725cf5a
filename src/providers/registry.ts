import { createAnthropic } from '@ai-sdk/anthropic';
import { createCohere } from '@ai-sdk/cohere';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createMistral } from '@ai-sdk/mistral';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { EmbeddingModelV3, ImageModelV3, LanguageModelV3, RerankingModelV3, SpeechModelV3, TranscriptionModelV3 } from '@ai-sdk/provider';
import type { Config, ProviderConfig, ProviderKind } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import { createMockProvider } from './mock/index.js';
import { undiciFetch } from './undici-fetch.js';

/** Everything the core needs to call one configured provider. */
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
}

export type ProviderRegistry = Map<string, ProviderEntry>;

export function createProviderRegistry(config: Config): ProviderRegistry {
  const registry: ProviderRegistry = new Map();
  for (const [id, providerConfig] of Object.entries(config.providers)) {
    registry.set(id, createEntry(id, providerConfig));
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

function createEntry(id: string, config: ProviderConfig): ProviderEntry {
  const factories = factoriesFor(id, config);
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
    language: factories.language ?? unsupported('language'),
    embedding: factories.embedding ?? unsupported('embedding'),
    reranking: factories.reranking ?? unsupported('reranking'),
    image: factories.image ?? unsupported('image'),
    speech: factories.speech ?? unsupported('speech'),
    transcription: factories.transcription ?? unsupported('transcription'),
    openaiWire: config.kind === 'openai' || config.kind === 'openai-compatible',
  };
}

function factoriesFor(id: string, config: ProviderConfig): ModelFactories {
  const common = {
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    ...(config.headers ? { headers: config.headers } : {}),
    fetch: undiciFetch,
  };
  switch (config.kind) {
    case 'openai': {
      const provider = createOpenAI({ ...common, name: id });
      // Chat Completions rather than Responses: every OpenAI-compatible host speaks it.
      return {
        language: provider.chat,
        embedding: provider.embedding,
        image: provider.image,
        speech: provider.speech,
        transcription: provider.transcription,
      };
    }
    case 'openai-compatible': {
      if (!config.baseURL) throw new GatewayError('internal', `provider ${id}: an openai-compatible provider needs a baseURL`);
      const provider = createOpenAICompatible({ ...common, baseURL: config.baseURL, name: id, includeUsage: true });
      // The compatible package has no audio models; hosts that serve OpenAI's /audio/speech and
      // /audio/transcriptions (Groq, LocalAI, vLLM, Speaches) speak OpenAI's wire, so its models do.
      const audio = createOpenAI({ ...common, baseURL: config.baseURL, name: id });
      return {
        language: provider.chatModel,
        embedding: provider.embeddingModel,
        image: provider.imageModel,
        speech: audio.speech,
        transcription: audio.transcription,
      };
    }
    case 'anthropic': {
      // Anthropic's own SDK takes ANTHROPIC_BASE_URL without the version path; the AI SDK wants it.
      const baseURL = config.baseURL && !/\/v1\/?$/.test(config.baseURL) ? `${config.baseURL.replace(/\/$/, '')}/v1` : config.baseURL;
      const provider = createAnthropic({ ...common, ...(baseURL ? { baseURL } : {}) });
      return { language: provider.messages };
    }
    case 'google': {
      const provider = createGoogleGenerativeAI(common);
      return { language: provider.chat, embedding: provider.embedding, image: (modelId) => provider.image(modelId) };
    }
    case 'mistral': {
      const provider = createMistral(common);
      return { language: provider.chat, embedding: provider.embedding };
    }
    case 'cohere': {
      const provider = createCohere(common);
      return { language: provider.languageModel, embedding: provider.embedding, reranking: provider.reranking };
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
