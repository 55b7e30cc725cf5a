/**
 * The model catalog: every model the configured providers can serve, in Vercel's `/v1/models`
 * shape. Sources, merged per `provider/model` with config winning:
 * - for the known kinds, the models @pydantic/genai-prices lists for that provider (its data
 *   holds names and context windows, no output limits and no modalities, so types are inferred
 *   from names);
 * - models named in config, for any provider (`providers[id].models`, `models['provider/model']`);
 * - the models a provider kind brings along (the mock's).
 */
import type { Config, ModelSettings, ProviderKind } from '../config/schema.js';
import { builtinModels } from '../providers/builtin-models.js';
import { type Pricing, toCatalogPricing } from './pricing.js';
import { listGenaiModels } from './pricing/genai-models.js';
import type { CatalogEntry, ModelType } from './types.js';

export interface CatalogProvider {
  id: string;
  kind: ProviderKind;
}

interface Draft {
  type?: ModelType;
  name?: string;
  contextWindow?: number;
  maxTokens?: number;
}

/** Speech and transcription models, which only the OpenAI kind has adapters for. */
const audioModel = /(^|-)(tts|transcribe|whisper)(-|$)/;

/**
 * Kinds whose models genai-prices lists, and what of its list they cannot serve: the package
 * files Claude under Google for Vertex, but the Gemini API behind `google` does not serve it.
 */
const listedKinds: Partial<Record<ProviderKind, RegExp | null>> = {
  openai: null,
  anthropic: audioModel,
  google: new RegExp(`^claude-|${audioModel.source}`),
  mistral: audioModel,
  cohere: audioModel,
};

export function buildCatalog(config: Config, providers: CatalogProvider[], pricing: Pricing): CatalogEntry[] {
  const entries = new Map<string, CatalogEntry>();
  for (const provider of providers) {
    const drafts = new Map<string, Draft>();
    const add = (model: string, draft: Draft) => drafts.set(model, { ...drafts.get(model), ...defined(draft) });

    const unservable = listedKinds[provider.kind];
    if (unservable !== undefined) {
      for (const model of listGenaiModels(provider.kind)) {
        if (unservable?.test(model.modelId)) continue;
        add(model.modelId, { name: model.name, contextWindow: model.contextWindow });
      }
    }
    for (const model of builtinModels(provider.kind)) {
      add(model.modelId, { type: model.type, name: model.name, contextWindow: model.contextWindow, maxTokens: model.maxTokens });
    }
    for (const [model, settings] of Object.entries(config.providers[provider.id]?.models ?? {})) add(model, fromSettings(settings));
    const prefix = `${provider.id}/`;
    for (const [id, settings] of Object.entries(config.models)) {
      if (id.startsWith(prefix) && id.length > prefix.length) add(id.slice(prefix.length), fromSettings(settings));
    }

    for (const [model, draft] of drafts) {
      const id = `${provider.id}/${model}`;
      const entry: CatalogEntry = {
        id,
        provider: provider.id,
        type: draft.type ?? inferModelType(model),
        name: draft.name ?? model,
        pricing: toCatalogPricing(pricing.priceOf(provider.kind, provider.id, model)),
      };
      if (draft.contextWindow !== undefined) entry.context_window = draft.contextWindow;
      if (draft.maxTokens !== undefined) entry.max_tokens = draft.maxTokens;
      entries.set(id, entry);
    }
  }
  return [...entries.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Embedding, reranking, image and audio models by their names; everything else is a language model. */
export function inferModelType(model: string): ModelType {
  const name = model.toLowerCase();
  if (/whisper|transcribe/.test(name)) return 'transcription';
  if (/(^|[/-])tts(-|$)/.test(name)) return 'speech';
  if (/rerank/.test(name)) return 'reranking';
  if (/embed/.test(name)) return 'embedding';
  if (/(^|[/-])(dall-e|gpt-image|imagen|flux|stable-diffusion|sdxl)/.test(name)) return 'image';
  return 'language';
}

function fromSettings(settings: ModelSettings): Draft {
  return { type: settings.type, contextWindow: settings.contextWindow, maxTokens: settings.maxTokens };
}

function defined(draft: Draft): Draft {
  return Object.fromEntries(Object.entries(draft).filter(([, value]) => value !== undefined)) as Draft;
}
