import type { MatchLogic, ModelInfo } from '@pydantic/genai-prices';
import { genaiPrices } from './genai-package.js';
import { lookupGenaiPrice } from './genai-prices.js';

export interface GenaiModel {
  /** An id the provider's API accepts, which genai-prices prices as this model. */
  modelId: string;
  name?: string;
  contextWindow?: number;
}

/**
 * The models genai-prices lists for a provider, named by an id the API accepts. The package's
 * own ids are sometimes family names (`codestral` matches `codestral-latest`), so when an id does
 * not price as itself the first exact alias from its match rule that does is used; a model with
 * only pattern rules (`magistral-small-*`) gives no usable id and is left out. Also left out:
 * deprecated models and realtime, live, OCR and moderation models, which no face serves.
 */
export function listGenaiModels(providerId: string): GenaiModel[] {
  const provider = genaiPrices().findProvider({ providerId });
  if (!provider) return [];
  const models: GenaiModel[] = [];
  for (const model of provider.models) {
    if (model.deprecated || /(^|-)(realtime|live|ocr|moderation)(-|$)/.test(model.id)) continue;
    const modelId = [model.id, ...exactAliases(model.match)].find((candidate) => pricesAs(provider.id, candidate, model));
    if (!modelId) continue;
    const entry: GenaiModel = { modelId };
    if (model.name !== undefined) entry.name = model.name;
    if (model.context_window !== undefined) entry.contextWindow = model.context_window;
    models.push(entry);
  }
  return models;
}

function pricesAs(providerId: string, candidate: string, model: ModelInfo): boolean {
  // Ids that are patterns rather than names (`ft:gpt-4o`, `…-2024-07-18.ft-`) are not servable.
  if (/[:]|[-.]$/.test(candidate)) return false;
  const found = lookupGenaiPrice(providerId, candidate);
  return found !== null && found.providerId === providerId && found.model.id === model.id;
}

function exactAliases(match: MatchLogic): string[] {
  if ('equals' in match) return [match.equals];
  if ('or' in match) return match.or.flatMap(exactAliases);
  return [];
}
