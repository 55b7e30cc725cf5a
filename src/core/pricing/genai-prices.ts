import type { calcPrice, ConditionalPrice, ModelInfo, ModelPrice as GenaiModelPrice, TieredPrices } from '@pydantic/genai-prices';
import { genaiPrices } from './genai-package.js';
import type { Rate, RateCard } from './rate-card.js';

/** A model as @pydantic/genai-prices knows it, with its rate card resolved for a moment in time. */
export interface GenaiPriceEntry {
  /** genai-prices' provider id (`x-ai` for `xai`, `google` for `vertex`, …). */
  providerId: string;
  model: ModelInfo;
  /** Constant for most models; some prices change on a date or by time of day (DeepSeek). */
  cardAt(atMs: number): RateCard;
}

/**
 * Finds the model with the package's own matching (aliases, dated snapshots, fallback providers
 * such as Claude on Google). A provider id it does not know gives null: it never guesses the
 * provider from the model name. The lookup costs tens of microseconds, so callers cache it.
 */
export function lookupGenaiPrice(providerId: string, modelId: string): GenaiPriceEntry | null {
  let found: ReturnType<typeof calcPrice>;
  try {
    found = genaiPrices().calcPrice({}, modelId, { providerId });
  } catch {
    // Malformed data for this model in the package: treat as unpriced rather than fail a request.
    return null;
  }
  if (!found) return null;
  const cardAt = cardResolver(found.model);
  return { providerId: found.provider.id, model: found.model, cardAt };
}

function cardResolver(model: ModelInfo): (atMs: number) => RateCard {
  if (!Array.isArray(model.prices)) {
    const card = toRateCard(model.prices);
    return () => card;
  }
  const options = model.prices.map((option) => ({ when: parseConstraint(option), card: toRateCard(option.prices) }));
  return (atMs) => {
    // genai-prices' rule: the last option whose constraint holds, else the first.
    for (let i = options.length - 1; i >= 0; i--) if (options[i].when(atMs)) return options[i].card;
    return options[0].card;
  };
}

function parseConstraint(option: ConditionalPrice): (atMs: number) => boolean {
  const constraint = option.constraint;
  if (!constraint) return () => true;
  if (constraint.type === 'start_date') {
    const from = Date.parse(`${constraint.start_date}T00:00:00Z`);
    return (atMs) => atMs >= from;
  }
  const start = secondsOfDayUtc(constraint.start_time);
  const end = secondsOfDayUtc(constraint.end_time);
  return (atMs) => {
    const now = (((atMs / 1000) % 86_400) + 86_400) % 86_400;
    return end < start ? now >= start || now < end : now >= start && now < end;
  };
}

/** `HH:MM:SS[.fff](Z|±HH:MM)` → seconds after midnight UTC. */
function secondsOfDayUtc(time: string): number {
  const match = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/.exec(time);
  if (!match) return 0;
  const local = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
  const offset = match[4] === 'Z' ? 0 : (match[5] === '+' ? 1 : -1) * (Number(match[6]) * 3600 + Number(match[7]) * 60);
  return (((local - offset) % 86_400) + 86_400) % 86_400;
}

/** Text token prices, per-request fees, audio hours and web searches; audio-token and image-token prices are not used here. */
function toRateCard(prices: GenaiModelPrice): RateCard {
  const card: RateCard = {
    input: toRate(prices.input_mtok),
    output: toRate(prices.output_mtok),
    cacheRead: toRate(prices.cache_read_mtok),
    cacheWrite: toRate(prices.cache_write_mtok),
  };
  const perThousandRequests = prices.requests_kcount;
  if (typeof perThousandRequests === 'number') card.request = perThousandRequests / 1000;
  // Transcription billed by the hour of audio heard (whisper-1); audio-token rates are not used.
  const perAudioHour = prices.input_audio_hours ?? prices.audio_hours;
  if (typeof perAudioHour === 'number') card.audioMinute = perAudioHour / 60;
  const perThousandSearches = prices.web_searches_kcount;
  if (typeof perThousandSearches === 'number') card.webSearch = perThousandSearches / 1000;
  for (const key of Object.keys(card) as Array<keyof RateCard>) if (card[key] === undefined) delete card[key];
  return card;
}

function toRate(value: number | TieredPrices | undefined): Rate | undefined {
  if (value === undefined || typeof value === 'number') return value;
  return { base: value.base, tiers: [...value.tiers].sort((a, b) => a.start - b.start) };
}
