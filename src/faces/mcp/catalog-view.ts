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
}

export function perMillion(perToken: string | undefined): number | null {
  if (perToken === undefined) return null;
  const value = Number(perToken);
  if (!Number.isFinite(value)) return null;
  // Per-token prices are tiny decimals; rounding keeps 0.15 from printing as 0.15000000000000002.
  return Number((value * 1_000_000).toPrecision(12));
}

export function toModelView(entry: CatalogEntry): ModelView {
  return {
    id: entry.id,
    type: entry.type,
    provider: entry.provider,
    context_window: entry.context_window ?? null,
    input_per_million: perMillion(entry.pricing.input),
    output_per_million: perMillion(entry.pricing.output),
  };
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
