import { describe, expect, it } from 'vitest';
import { createMockProvider } from '../../../src/providers/mock/index.js';

const model = createMockProvider().embeddingModel('embed');
const norm = (v: number[]) => Math.hypot(...v);
const dot = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i], 0);

describe('mock embedding model', () => {
  it('returns deterministic 8-dimensional unit vectors and counts words', async () => {
    const first = await model.doEmbed({ values: ['hello world', 'another text here'] });
    const again = await model.doEmbed({ values: ['hello world', 'another text here'] });
    expect(first.embeddings).toEqual(again.embeddings);
    expect(first.embeddings.map((v) => v.length)).toEqual([8, 8]);
    for (const v of first.embeddings) expect(norm(v)).toBeCloseTo(1, 12);
    expect(first.usage).toEqual({ tokens: 5 });
  });

  it('places texts sharing words closer than unrelated ones', async () => {
    const { embeddings } = await model.doEmbed({
      values: ['the cat sat on the mat', 'the cat sat', 'quantum chromodynamics lecture notes'],
      providerOptions: { mock: { dimensions: 64 } },
    });
    expect(dot(embeddings[0], embeddings[1])).toBeGreaterThan(dot(embeddings[0], embeddings[2]));
  });

  it('honours providerOptions.mock.dimensions and rejects invalid ones', async () => {
    const { embeddings } = await model.doEmbed({ values: ['x'], providerOptions: { mock: { dimensions: 3 } } });
    expect(embeddings[0]).toHaveLength(3);
    await expect(model.doEmbed({ values: ['x'], providerOptions: { mock: { dimensions: 0 } } })).rejects.toThrow(/dimensions/);
  });
});
