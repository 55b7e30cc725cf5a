/**
 * Prices of models and the cost of requests. Sources, first match wins:
 * 1. config: `models['provider/model'].pricing`, `providers[id].models[model].pricing`
 *    (USD per million tokens, per image for `image`, per million characters for `characters`,
 *    per minute of audio for `audioMinute`); config that only sets service-tier or web-search
 *    prices adds them to the prices found below;
 * 2. the prices a provider kind brings along with its own models (`src/providers/builtin-models.ts`):
 *    the mock's are 0 in each unit it bills, or with `mockPricing` its nominal ones, so budgets
 *    and spend reports can be tried offline;
 * 3. @pydantic/genai-prices, by provider kind for the known kinds and by provider id for
 *    `openai-compatible` ones (Groq, Together, DeepSeek, …) when the package knows that id.
 * Anything else has no price: `null`, never 0.
 */
import type { Config, ProviderKind } from '../config/schema.js';
import { builtinModel } from '../providers/builtin-models.js';
import { configRateCard } from './pricing/config-prices.js';
import { shiftedDecimal } from './pricing/decimal.js';
import { type GenaiPriceEntry, lookupGenaiPrice } from './pricing/genai-prices.js';
import { baseRate, costFromCard, isEmptyCard, mediaCostFromCard, type MediaUsage, type RateCard } from './pricing/rate-card.js';
import type { ModelPricing, TokenUsage } from './types.js';

export type PriceSource = 'config' | 'builtin' | 'genai-prices';

/** USD per token (per image, per request). Tiered models show their base tier. */
export interface ModelPrice {
  inputPerToken?: number;
  outputPerToken?: number;
  cacheReadPerToken?: number;
  cacheWritePerToken?: number;
  perImage?: number;
  /** A fixed fee per request (Perplexity's, a reranker's per search). */
  perRequest?: number;
  /** Speech: USD per character of text. */
  perCharacter?: number;
  /** Transcription: USD per minute of audio. */
  perAudioMinute?: number;
  /** Rates rise above an input-size threshold (long-context pricing); `costOf` applies them. */
  tiered?: boolean;
  source: PriceSource;
}

export interface Pricing {
  /** `model` is the provider's model id, without the `provider/` prefix. */
  priceOf(providerKind: ProviderKind, providerId: string, model: string): ModelPrice | null;
  /**
   * USD, rounded to 1e-10; null when the model or part of the usage has no known price. Speech
   * and transcription pass `media` and are priced in that unit only.
   */
  costOf(providerKind: ProviderKind, providerId: string, model: string, usage: TokenUsage, images?: number, media?: MediaUsage): number | null;
  /** The service tiers with prices of their own; a request served at any other tier is billed at the default's. */
  serviceTiersOf(providerKind: ProviderKind, providerId: string, model: string): readonly string[];
}

/** A resolved price source for one model, cached for the life of the process. */
interface PriceEntry {
  source: PriceSource;
  cardAt(atMs: number): RateCard;
}

const genaiProviderIdOf: Partial<Record<ProviderKind, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'google',
  mistral: 'mistral',
  cohere: 'cohere',
};

export function createPricing(config: Config, now: () => number = Date.now): Pricing {
  const entries = new Map<string, PriceEntry | null>();

  function entryOf(kind: ProviderKind, providerId: string, model: string): PriceEntry | null {
    const key = `${kind}\u0000${providerId}\u0000${model}`;
    let entry = entries.get(key);
    if (entry === undefined) {
      entry = resolveEntry(config, kind, providerId, model, now());
      entries.set(key, entry);
    }
    return entry;
  }

  return {
    priceOf(kind, providerId, model) {
      const entry = entryOf(kind, providerId, model);
      return entry ? toModelPrice(entry.source, entry.cardAt(now())) : null;
    },
    costOf(kind, providerId, model, usage, images = 0, media) {
      const entry = entryOf(kind, providerId, model);
      if (!entry) return null;
      return media ? mediaCostFromCard(entry.cardAt(now()), media) : costFromCard(entry.cardAt(now()), usage, images);
    },
    serviceTiersOf(kind, providerId, model) {
      const tiers = entryOf(kind, providerId, model)?.cardAt(now()).serviceTiers;
      return tiers ? Object.keys(tiers) : [];
    },
  };
}

function resolveEntry(config: Config, kind: ProviderKind, providerId: string, model: string, atMs: number): PriceEntry | null {
  const configured = configRateCard(config, providerId, model);
  if (configured && !isEmptyCard(configured)) return constant('config', configured);
  const published = publishedEntry(config, kind, providerId, model, atMs);
  // Config that only adds tier or search prices keeps the published token prices beneath them.
  if (!configured) return published;
  if (!published) return null;
  return { source: published.source, cardAt: (at) => ({ ...published.cardAt(at), ...configured }) };
}

function publishedEntry(config: Config, kind: ProviderKind, providerId: string, model: string, atMs: number): PriceEntry | null {
  const builtin = builtinModel(kind, model);
  // The mock is free unless the operator turned on its nominal prices to try budgets.
  if (builtin) return constant('builtin', kind === 'mock' && !config.mockPricing ? freeCard(builtin.pricing) : { ...builtin.pricing });

  const genaiProviderId = kind === 'openai-compatible' ? providerId : genaiProviderIdOf[kind];
  const found: GenaiPriceEntry | null = genaiProviderId ? lookupGenaiPrice(genaiProviderId, model) : null;
  if (!found) return null;
  // Models priced only in units we do not meter (audio, pages, searches) count as unpriced.
  if (isEmptyCard(found.cardAt(atMs))) return null;
  return { source: 'genai-prices', cardAt: found.cardAt };
}

/** The same units at a price of 0: the model is known to be free, not of unknown price. */
function freeCard(units: RateCard): RateCard {
  return Object.fromEntries(Object.keys(units).map((unit) => [unit, 0]));
}

function constant(source: PriceSource, card: RateCard): PriceEntry {
  return { source, cardAt: () => card };
}

function toModelPrice(source: PriceSource, card: RateCard): ModelPrice {
  const perToken = (rate: RateCard['input']) => {
    const base = baseRate(rate);
    return base === undefined ? undefined : base / 1_000_000;
  };
  const price: ModelPrice = {
    source,
    inputPerToken: perToken(card.input),
    outputPerToken: perToken(card.output),
    cacheReadPerToken: perToken(card.cacheRead),
    cacheWritePerToken: perToken(card.cacheWrite),
    perImage: card.image,
    perRequest: card.request,
    perCharacter: card.characters === undefined ? undefined : card.characters / 1_000_000,
    perAudioMinute: card.audioMinute,
    tiered: [card.input, card.output, card.cacheRead, card.cacheWrite].some((rate) => typeof rate === 'object') || undefined,
  };
  // Absent rather than undefined, so the price reads the same in logs and JSON.
  for (const key of Object.keys(price) as Array<keyof ModelPrice>) if (price[key] === undefined) delete price[key];
  return price;
}

/** Vercel's `/v1/models` pricing shape: USD per token (per image) as plain decimal strings. */
export function toCatalogPricing(price: ModelPrice | null): ModelPricing {
  if (!price) return {};
  // Per-token floats carry division noise (0.075/1e6); 12 significant digits recover the
  // published per-million figure, which is then shifted exactly in decimal.
  const perToken = (value: number | undefined) =>
    value === undefined ? undefined : shiftedDecimal(Number((value * 1_000_000).toPrecision(12)), 6);
  const pricing: ModelPricing = {};
  const input = perToken(price.inputPerToken);
  const output = perToken(price.outputPerToken);
  const cacheRead = perToken(price.cacheReadPerToken);
  const cacheWrite = perToken(price.cacheWritePerToken);
  if (input !== undefined) pricing.input = input;
  if (output !== undefined) pricing.output = output;
  if (cacheRead !== undefined) pricing.input_cache_read = cacheRead;
  if (cacheWrite !== undefined) pricing.input_cache_write = cacheWrite;
  if (price.perImage !== undefined) pricing.image = shiftedDecimal(price.perImage, 0);
  const perCharacter = perToken(price.perCharacter);
  if (perCharacter !== undefined) pricing.character = perCharacter;
  if (price.perAudioMinute !== undefined) pricing.audio_minute = shiftedDecimal(Number(price.perAudioMinute.toPrecision(12)), 0);
  if (price.perRequest !== undefined) pricing.request = shiftedDecimal(Number(price.perRequest.toPrecision(12)), 0);
  return pricing;
}
