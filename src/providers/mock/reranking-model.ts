import type { RerankingModelV3, RerankingModelV3CallOptions } from '@ai-sdk/provider';
import { terms } from './words.js';

/**
 * Scores each document by the share of the query's distinct words it contains (0 to 1), best
 * first; ties keep the documents' original order. Object documents are matched on their JSON.
 */
export function createMockRerankingModel(modelId: string): RerankingModelV3 {
  return {
    specificationVersion: 'v3',
    provider: 'mock',
    modelId,

    async doRerank(call: RerankingModelV3CallOptions) {
      call.abortSignal?.throwIfAborted();
      const query = new Set(terms(call.query));
      const texts: string[] =
        call.documents.type === 'text' ? call.documents.values : call.documents.values.map((doc) => JSON.stringify(doc));
      const ranking = texts
        .map((text, index) => ({ index, relevanceScore: overlap(query, new Set(terms(text))) }))
        .sort((a, b) => b.relevanceScore - a.relevanceScore || a.index - b.index);
      return {
        ranking: call.topN === undefined ? ranking : ranking.slice(0, Math.max(0, call.topN)),
        warnings: [],
        response: { modelId },
      };
    },
  };
}

function overlap(query: Set<string>, document: Set<string>): number {
  if (query.size === 0) return 0;
  let shared = 0;
  for (const term of query) if (document.has(term)) shared++;
  return shared / query.size;
}
