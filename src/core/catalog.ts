/**
 * The model catalog: the models the configured providers really serve, in Vercel's `/v1/models`
 * shape. Per provider, the served ids are what its model-list endpoint answered (for a kind that
 * brings its own models, such as the mock, those) plus the models config names for it (`providers[id].models`, `models['provider/model']`).
 * The price table and config only describe them (prices, names, context windows): a model that
 * is priced but not served is not listed, and one served but not priced has no price.
 */
import type { Config, ModelSettings, ProviderKind } from '../config/schema.js';
import { builtinModel } from '../providers/builtin-models.js';
import { type Pricing, toCatalogPricing } from './pricing.js';
import { listGenaiModels, type GenaiModel } from './pricing/genai-models.js';
import type { CatalogEntry, ModelType } from './types.js';

export interface CatalogProvider {
  id: string;
  kind: ProviderKind;
}

/** The ids a provider's model list answered; undefined while none has been read. */
export type ServedIds = (providerId: string) => readonly string[] | undefined;

interface Draft {
  type?: ModelType;
  name?: string;
  contextWindow?: number;
  maxTokens?: number;
}

export function buildCatalog(config: Config, providers: CatalogProvider[], pricing: Pricing, served: ServedIds): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  for (const provider of providers) {
    const ids = new Set(served(provider.id) ?? []);
    for (const model of Object.keys(config.providers[provider.id]?.models ?? {})) ids.add(model);
    const prefix = `${provider.id}/`;
    for (const id of Object.keys(config.models)) {
      if (id.startsWith(prefix) && id.length > prefix.length) ids.add(id.slice(prefix.length));
    }
    for (const model of ids) entries.push(describeModel(config, provider, pricing, model));
  }
  const groups = groupEntries(config, providers, pricing);
  const grouped = new Set(groups.map((entry) => entry.id));
  return [...entries.filter((entry) => !grouped.has(entry.id)), ...groups].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * A model group is listed under the name clients send, described by its first deployment (type,
 * context window, price); a group named like a provider's model stands in for that model, since
 * requests for the name go to the group.
 */
function groupEntries(config: Config, providers: CatalogProvider[], pricing: Pricing): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  for (const [name, group] of Object.entries(config.modelGroups)) {
    const first = group.deployments[0];
    const provider = first && providers.find((candidate) => candidate.id === first.provider);
    if (!first || !provider) continue;
    entries.push({ ...describeModel(config, provider, pricing, first.model), id: name });
  }
  return entries;
}

/**
 * One model as the catalog lists it, whether or not it is served: metadata from the price
 * table's data (names, context windows), a provider kind's own models (the mock's), then config, config winning.
 */
export function describeModel(config: Config, provider: CatalogProvider, pricing: Pricing, model: string): CatalogEntry {
  const draft: Draft = {};
  const assign = (more: Draft) => Object.assign(draft, defined(more));
  const listed = genaiModelsOf(provider.kind).get(model);
  if (listed) assign({ name: listed.name, contextWindow: listed.contextWindow });
  const builtin = builtinModel(provider.kind, model);
  if (builtin) assign({ type: builtin.type, name: builtin.name, contextWindow: builtin.contextWindow, maxTokens: builtin.maxTokens });
  const fromProvider = config.providers[provider.id]?.models?.[model];
  if (fromProvider) assign(fromSettings(fromProvider));
  const fromModels = config.models[`${provider.id}/${model}`];
  if (fromModels) assign(fromSettings(fromModels));

  const entry: CatalogEntry = {
    id: `${provider.id}/${model}`,
    provider: provider.id,
    type: draft.type ?? inferModelType(model),
    name: draft.name ?? model,
    pricing: toCatalogPricing(pricing.priceOf(provider.kind, provider.id, model)),
  };
  if (draft.contextWindow !== undefined) entry.context_window = draft.contextWindow;
  if (draft.maxTokens !== undefined) entry.max_tokens = draft.maxTokens;
  return entry;
}

const genaiByKind = new Map<ProviderKind, Map<string, GenaiModel>>();

function genaiModelsOf(kind: ProviderKind): Map<string, GenaiModel> {
  let models = genaiByKind.get(kind);
  if (!models) {
    models = new Map(kind === 'openai-compatible' ? [] : listGenaiModels(kind).map((model) => [model.modelId, model]));
    genaiByKind.set(kind, models);
  }
  return models;
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
