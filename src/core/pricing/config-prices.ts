import type { Config, PricingOverride } from '../../config/schema.js';
import type { RateCard } from './rate-card.js';

/**
 * Prices written in config, in USD per million tokens (per image for `image`). Both places are
 * read and merged field by field, `models['provider/model']` over
 * `providers[id].models[model]`; null when neither sets a price.
 */
export function configRateCard(config: Config, providerId: string, model: string): RateCard | null {
  const fromProvider = config.providers[providerId]?.models?.[model]?.pricing;
  const fromModels = config.models[`${providerId}/${model}`]?.pricing;
  if (!fromProvider && !fromModels) return null;
  const merged: PricingOverride = { ...fromProvider, ...fromModels };
  const card: RateCard = {};
  if (merged.input !== undefined) card.input = merged.input;
  if (merged.output !== undefined) card.output = merged.output;
  if (merged.cacheRead !== undefined) card.cacheRead = merged.cacheRead;
  if (merged.cacheWrite !== undefined) card.cacheWrite = merged.cacheWrite;
  if (merged.image !== undefined) card.image = merged.image;
  if (merged.characters !== undefined) card.characters = merged.characters;
  if (merged.audioMinute !== undefined) card.audioMinute = merged.audioMinute;
  if (merged.webSearchesPerThousand !== undefined) card.webSearch = merged.webSearchesPerThousand / 1000;
  if (merged.serviceTiers !== undefined) card.serviceTiers = merged.serviceTiers;
  return Object.keys(card).length > 0 ? card : null;
}
