import { describe, expect, it } from 'vitest';
import { createMockProvider } from '../../../src/providers/mock/index.js';

const model = createMockProvider().rerankingModel('rerank');

describe('mock reranking model', () => {
  it('ranks documents by word overlap with the query, best first, ties in original order', async () => {
    const result = await model.doRerank({
      query: 'Paris weather today',
      documents: { type: 'text', values: ['Stock prices fell', 'Weather in Paris: sunny', 'Today in history', 'paris weather today!'] },
    });
    expect(result.ranking).toEqual([
      { index: 3, relevanceScore: 1 },
      { index: 1, relevanceScore: 2 / 3 },
      { index: 2, relevanceScore: 1 / 3 },
      { index: 0, relevanceScore: 0 },
    ]);
  });

  it('keeps the top N and matches object documents on their JSON', async () => {
    const result = await model.doRerank({
      query: 'red apple',
      documents: { type: 'object', values: [{ fruit: 'banana' }, { fruit: 'apple', colour: 'red' }] },
      topN: 1,
    });
    expect(result.ranking).toEqual([{ index: 1, relevanceScore: 1 }]);
  });
});
