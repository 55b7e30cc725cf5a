import { describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../../src/core/types.js';
import { renderModel, renderModels } from '../../../src/faces/openai/render-models.js';

const gpt: CatalogEntry = {
  id: 'openai/gpt-4o-mini',
  provider: 'openai',
  type: 'language',
  name: 'GPT-4o mini',
  context_window: 128000,
  max_tokens: 16384,
  pricing: { input: '0.00000015', output: '0.0000006', input_cache_read: '0.000000075' },
};

describe('renderModels', () => {
  it("renders the catalog in Vercel AI Gateway's /v1/models shape", () => {
    expect(renderModels([gpt], { created: 1755815280 })).toEqual({
      object: 'list',
      data: [
        {
          id: 'openai/gpt-4o-mini',
          object: 'model',
          created: 1755815280,
          owned_by: 'openai',
          name: 'GPT-4o mini',
          type: 'language',
          context_window: 128000,
          max_tokens: 16384,
          pricing: { input: '0.00000015', output: '0.0000006', input_cache_read: '0.000000075' },
        },
      ],
    });
  });

  it('leaves out unknown limits and prices instead of inventing them', () => {
    const model = renderModel(
      { id: 'local/llama', provider: 'local', type: 'language', name: 'llama', pricing: {} },
      { created: 1 },
    );
    expect(model).toEqual({
      id: 'local/llama',
      object: 'model',
      created: 1,
      owned_by: 'local',
      name: 'llama',
      type: 'language',
      pricing: {},
    });
  });

  it('keeps the per-image price of image models', () => {
    const model = renderModel({ id: 'openai/gpt-image-1', provider: 'openai', type: 'image', name: 'GPT Image 1', pricing: { image: '0.04' } });
    expect(model.pricing).toEqual({ image: '0.04' });
    expect(model.type).toBe('image');
  });

  it('renders an empty catalog as an empty list', () => {
    expect(renderModels([])).toEqual({ object: 'list', data: [] });
  });
});
