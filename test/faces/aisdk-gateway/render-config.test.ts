import { describe, expect, it } from 'vitest';
import { renderConfig } from '../../../src/faces/aisdk-gateway/render-config.js';

describe('renderConfig', () => {
  it('gives each catalog entry a v3 specification, its type and per-token prices as strings', () => {
    const { models } = renderConfig([
      { id: 'up/gpt-4o-mini', provider: 'up', type: 'language', name: 'GPT-4o mini', pricing: { input: '0.00000015', output: '0.0000006', input_cache_read: '0.000000075' } },
      { id: 'mock/embed', provider: 'mock', type: 'embedding', name: 'Embed', pricing: { input: '0.0000001' } },
      { id: 'mock/image', provider: 'mock', type: 'image', name: 'Image', pricing: { image: '0.01' } },
      { id: 'x/unpriced', provider: 'x', type: 'language', name: 'unpriced', pricing: {} },
    ]);
    expect(models[0]).toEqual({
      id: 'up/gpt-4o-mini',
      name: 'GPT-4o mini',
      pricing: { input: '0.00000015', output: '0.0000006', input_cache_read: '0.000000075' },
      specification: { specificationVersion: 'v3', provider: 'up', modelId: 'up/gpt-4o-mini' },
      modelType: 'language',
    });
    // The client's schema wants both input and output, or no pricing at all.
    expect(models[1]!.pricing).toEqual({ input: '0.0000001', output: '0' });
    expect(models[2]).not.toHaveProperty('pricing');
    expect(models[3]).not.toHaveProperty('pricing');
  });
});
