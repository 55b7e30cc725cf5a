import { describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../../src/core/types.js';
import {
  compareByInputPrice,
  completeModelId,
  matchesFilter,
  perMillion,
  toModelView,
} from '../../../src/faces/mcp/catalog-view.js';

const entry = (id: string, pricing: CatalogEntry['pricing'], extra: Partial<CatalogEntry> = {}): CatalogEntry => ({
  id,
  provider: id.split('/')[0],
  type: 'language',
  name: id,
  pricing,
  ...extra,
});

const catalog = [
  entry('openai/gpt-4o', { input: '0.0000025', output: '0.00001' }, { context_window: 128_000 }),
  entry('openai/gpt-4o-mini', { input: '0.00000015', output: '0.0000006' }, { context_window: 128_000 }),
  entry('local/llama', {}),
  entry('anthropic/claude-haiku-4-5', { input: '0.000001' }, { context_window: 200_000 }),
];

describe('prices per million tokens', () => {
  it('converts per-token strings without float noise', () => {
    expect(perMillion('0.00000015')).toBe(0.15);
    expect(perMillion('0.0000025')).toBe(2.5);
    expect(perMillion(undefined)).toBeNull();
    expect(perMillion('n/a')).toBeNull();
  });
});

describe('ordering', () => {
  it('puts the cheapest input first and unknown prices last', () => {
    const ids = catalog.map(toModelView).sort(compareByInputPrice).map((m) => m.id);
    expect(ids).toEqual(['openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5', 'openai/gpt-4o', 'local/llama']);
  });
});

describe('filters', () => {
  const views = catalog.map(toModelView);
  const ids = (filter: Parameters<typeof matchesFilter>[1]) => views.filter((m) => matchesFilter(m, filter)).map((m) => m.id);

  it('by price: unknown prices never pass a price limit', () => {
    expect(ids({ maxInputPricePerMillion: 1 })).toEqual(['openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5']);
  });

  it('by context window: unknown windows never pass a minimum', () => {
    expect(ids({ minContextWindow: 150_000 })).toEqual(['anthropic/claude-haiku-4-5']);
  });

  it('by provider and type', () => {
    expect(ids({ provider: 'openai', type: 'language' })).toEqual(['openai/gpt-4o', 'openai/gpt-4o-mini']);
    expect(ids({ type: 'embedding' })).toEqual([]);
  });
});

describe('completion of model ids', () => {
  it('matches id prefixes, case-insensitively', () => {
    expect(completeModelId(catalog, 'openai/gpt-4o')).toEqual(['openai/gpt-4o', 'openai/gpt-4o-mini']);
    expect(completeModelId(catalog, 'OPENAI/GPT-4O-M')).toEqual(['openai/gpt-4o-mini']);
  });

  it('matches model names after ids when the prefix has no provider', () => {
    expect(completeModelId(catalog, 'claude')).toEqual(['anthropic/claude-haiku-4-5']);
    expect(completeModelId(catalog, 'l')).toEqual(['local/llama']);
  });

  it('offers every id for an empty prefix, sorted', () => {
    expect(completeModelId(catalog, '')).toEqual([...catalog.map((e) => e.id)].sort());
  });
});
