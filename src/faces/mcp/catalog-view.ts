/**
 * The catalog as agents read it: prices per million tokens (the unit providers publish) rather
 * than the per-token strings of the wire format, cheapest first.
 */
import type { CatalogEntry, ModelType } from '../../core/types.js';

export interface ModelView {
  id: string;
  type: ModelType;
  provider: string;
  context_window: number | null;
  input_per_million: number | null;
  output_per_million: number | null;
  /** Prices in the other units models are billed in, present only where they apply. */
  per_image?: number;
  per_million_characters?: number;
  per_minute?: number;
  per_request?: number;
}

function plain(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

export function perMillion(perToken: string | undefined): number | null {
  if (perToken === undefined) return null;
  const value = Number(perToken);
  if (!Number.isFinite(value)) return null;
  // Per-token prices are tiny decimals; rounding keeps 0.15 from printing as 0.15000000000000002.
  return Number((value * 1_000_000).toPrecision(12));
}

export function toModelView(entry: CatalogEntry): ModelView {
  const view: ModelView = {
    id: entry.id,
    type: entry.type,
    provider: entry.provider,
    context_window: entry.context_window ?? null,
    input_per_million: perMillion(entry.pricing.input),
    output_per_million: perMillion(entry.pricing.output),
  };
  const perImage = plain(entry.pricing.image);
  const perCharacters = perMillion(entry.pricing.character) ?? undefined;
  const perMinute = plain(entry.pricing.audio_minute);
  const perRequest = plain(entry.pricing.request);
  if (perImage !== undefined) view.per_image = perImage;
  if (perCharacters !== undefined) view.per_million_characters = perCharacters;
  if (perMinute !== undefined) view.per_minute = perMinute;
  if (perRequest !== undefined) view.per_request = perRequest;
  return view;
}

/** The prices of a model, each in its own unit: `in $1/M out $2/M tokens`, `$0.01/image`, … */
export function priceText(model: ModelView): string {
  const usd = (value: number | null): string => (value === null ? '?' : `$${value}`);
  const parts: string[] = [];
  const tokens = [
    ...(model.input_per_million !== null ? [`in ${usd(model.input_per_million)}/M`] : []),
    ...(model.output_per_million !== null ? [`out ${usd(model.output_per_million)}/M`] : []),
  ];
  if (tokens.length) parts.push(`${tokens.join(' ')} tokens`);
  if (model.per_image !== undefined) parts.push(`${usd(model.per_image)}/image`);
  if (model.per_million_characters !== undefined) parts.push(`${usd(model.per_million_characters)}/M characters`);
  if (model.per_minute !== undefined) parts.push(`${usd(model.per_minute)}/minute of audio`);
  if (model.per_request !== undefined) parts.push(`${usd(model.per_request)}/${model.type === 'reranking' ? 'search' : 'request'}`);
  return parts.length ? parts.join(', ') : 'price unknown';
}

/** Cheapest input first; models without a known price last; ties by id for a stable order. */
export function compareByInputPrice(a: ModelView, b: ModelView): number {
  if (a.input_per_million !== b.input_per_million) {
    if (a.input_per_million === null) return 1;
    if (b.input_per_million === null) return -1;
    return a.input_per_million - b.input_per_million;
  }
  return a.id.localeCompare(b.id);
}

export interface ModelFilter {
  type?: ModelType;
  provider?: string;
  maxInputPricePerMillion?: number;
  minContextWindow?: number;
}

export function matchesFilter(model: ModelView, filter: ModelFilter): boolean {
  if (filter.type !== undefined && model.type !== filter.type) return false;
  if (filter.provider !== undefined && model.provider !== filter.provider) return false;
  if (filter.maxInputPricePerMillion !== undefined) {
    // An unknown price cannot be shown to be under the limit.
    if (model.input_per_million === null || model.input_per_million > filter.maxInputPricePerMillion) return false;
  }
  if (filter.minContextWindow !== undefined) {
    if (model.context_window === null || model.context_window < filter.minContextWindow) return false;
  }
  return true;
}

/** Catalog ids starting with `prefix`; when the prefix names no provider, model names match too. */
export function completeModelId(catalog: CatalogEntry[], prefix: string): string[] {
  const lower = prefix.toLowerCase();
  const ids = catalog.map((entry) => entry.id).sort();
  const byId = ids.filter((id) => id.toLowerCase().startsWith(lower));
  if (lower.includes('/')) return byId;
  const byName = ids.filter((id) => !byId.includes(id) && id.slice(id.indexOf('/') + 1).toLowerCase().startsWith(lower));
  return [...byId, ...byName];
}
