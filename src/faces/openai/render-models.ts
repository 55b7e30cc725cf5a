/** The catalog → `/v1/models` in Vercel AI Gateway's shape (OpenAI's list plus metadata). */
import type { CatalogEntry, ModelPricing, ModelType } from '../../core/types.js';

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  name: string;
  type: ModelType;
  context_window?: number;
  max_tokens?: number;
  /** USD per token as decimal strings; a price is absent when unknown, never 0 by default. */
  pricing: ModelPricing;
}

export interface ModelList {
  object: 'list';
  data: ModelObject[];
}

export interface RenderModelsOptions {
  /** Unix seconds reported as `created`; defaults to now (the catalog has no dates). */
  created?: number;
}

export function renderModel(entry: CatalogEntry, options: RenderModelsOptions = {}): ModelObject {
  const model: ModelObject = {
    id: entry.id,
    object: 'model',
    created: options.created ?? Math.floor(Date.now() / 1000),
    owned_by: entry.provider,
    name: entry.name,
    type: entry.type,
    pricing: renderPricing(entry.pricing),
  };
  if (entry.context_window != null) model.context_window = entry.context_window;
  if (entry.max_tokens != null) model.max_tokens = entry.max_tokens;
  return model;
}

export function renderModels(entries: CatalogEntry[], options: RenderModelsOptions = {}): ModelList {
  const created = options.created ?? Math.floor(Date.now() / 1000);
  return { object: 'list', data: entries.map((entry) => renderModel(entry, { created })) };
}

function renderPricing(pricing: ModelPricing): ModelPricing {
  const out: ModelPricing = {};
  if (pricing.input != null) out.input = pricing.input;
  if (pricing.output != null) out.output = pricing.output;
  if (pricing.input_cache_read != null) out.input_cache_read = pricing.input_cache_read;
  if (pricing.input_cache_write != null) out.input_cache_write = pricing.input_cache_write;
  if (pricing.image != null) out.image = pricing.image;
  if (pricing.character != null) out.character = pricing.character;
  if (pricing.audio_minute != null) out.audio_minute = pricing.audio_minute;
  if (pricing.request != null) out.request = pricing.request;
  return out;
}
