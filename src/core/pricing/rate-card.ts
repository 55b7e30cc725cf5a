import type { TokenUsage } from '../types.js';

/** USD per million tokens; tiered rates switch on the request's total input tokens. */
export type Rate = number | TieredRate;

export interface TieredRate {
  base: number;
  /** Ascending by `start`; a tier applies when total input tokens exceed its start (genai-prices' rule). */
  tiers: ReadonlyArray<{ start: number; price: number }>;
}

/** A model's prices as published: per million tokens, per image, per request. */
export interface RateCard {
  input?: Rate;
  output?: Rate;
  cacheRead?: Rate;
  cacheWrite?: Rate;
  image?: number;
  request?: number;
  /** Speech: USD per million characters of text. */
  characters?: number;
  /** Transcription: USD per minute of input audio. */
  audioMinute?: number;
  /** USD per web search the provider runs as its own tool. */
  webSearch?: number;
  /** Token rates of service tiers other than the default, by tier name; a rate left out is the default's. */
  serviceTiers?: Readonly<Record<string, TierRates>>;
}

export type TierRates = Pick<RateCard, 'input' | 'output' | 'cacheRead' | 'cacheWrite'>;

/**
 * What speech and transcription are billed in: characters spoken, seconds heard (null when the
 * provider did not say how long the audio was).
 */
export type MediaUsage = { unit: 'characters'; amount: number } | { unit: 'audioSeconds'; amount: number | null };

export function isEmptyCard(card: RateCard): boolean {
  return (
    card.input === undefined &&
    card.output === undefined &&
    card.cacheRead === undefined &&
    card.cacheWrite === undefined &&
    card.image === undefined &&
    card.request === undefined &&
    card.characters === undefined &&
    card.audioMinute === undefined
  );
}

export function baseRate(rate: Rate | undefined): number | undefined {
  return typeof rate === 'object' ? rate.base : rate;
}

function rateAt(rate: Rate | undefined, inputTokens: number): number | undefined {
  if (typeof rate !== 'object') return rate;
  let price = rate.base;
  for (const tier of rate.tiers) if (inputTokens > tier.start) price = tier.price;
  return price;
}

/** Money is rounded to 1e-10 USD: far below a cent, far above float noise on realistic sums. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}

/**
 * USD for one request, or null when some of the usage has no price (never a silent 0).
 * `usage.input` includes cache reads and writes; those fall back to the input rate when the card
 * has no rate of their own. Reasoning tokens are already part of `output`. Token counts are
 * multiplied by per-million rates and divided once, which keeps float drift out of the sum.
 * A card priced per image or per request includes whatever tokens it has no rate for.
 */
export function costFromCard(defaultCard: RateCard, usage: TokenUsage, images = 0): number | null {
  const card = cardForTier(defaultCard, usage.serviceTier);
  const inclusive = card.image !== undefined || card.request !== undefined;
  const cacheRead = Math.max(0, usage.cacheRead);
  const cacheWrite = Math.max(0, usage.cacheWrite);
  const uncached = Math.max(0, usage.input - cacheRead - cacheWrite);
  const input = rateAt(card.input, usage.input);

  let perMillion = 0;
  const parts: Array<[number, number | undefined]> = [
    [uncached, input],
    [cacheRead, rateAt(card.cacheRead, usage.input) ?? input],
    [cacheWrite, rateAt(card.cacheWrite, usage.input) ?? input],
    [Math.max(0, usage.output), rateAt(card.output, usage.input)],
  ];
  for (const [tokens, rate] of parts) {
    if (tokens === 0) continue;
    if (rate === undefined) {
      if (inclusive) continue;
      return null;
    }
    perMillion += tokens * rate;
  }

  let usd = perMillion / 1_000_000;
  if (images > 0) {
    if (card.image !== undefined) usd += images * card.image;
    else if (perMillion === 0) return null;
  }
  const searches = usage.webSearches ?? 0;
  if (searches > 0) {
    if (card.webSearch === undefined) return null;
    usd += searches * card.webSearch;
  }
  if (card.request !== undefined) usd += card.request;
  return roundUsd(usd);
}

/** The card with a service tier's own rates in place of the default's, where it has any. */
function cardForTier(card: RateCard, tier: string | undefined): RateCard {
  const rates = tier === undefined ? undefined : card.serviceTiers?.[tier];
  return rates ? { ...card, ...rates } : card;
}

/**
 * USD for one speech or transcription request, priced only in its own unit: token rates do not
 * apply (a TTS model's text-token rate leaves its audio output unpriced), so a card without a
 * character or audio-minute rate, or audio of unknown length, gives null.
 */
export function mediaCostFromCard(card: RateCard, media: MediaUsage): number | null {
  let usd: number;
  if (media.unit === 'characters') {
    if (card.characters === undefined) return null;
    usd = (media.amount * card.characters) / 1_000_000;
  } else {
    if (card.audioMinute === undefined || media.amount === null) return null;
    usd = (media.amount * card.audioMinute) / 60;
  }
  if (card.request !== undefined) usd += card.request;
  return roundUsd(usd);
}
