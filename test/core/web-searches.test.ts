import { describe, expect, it } from 'vitest';
import { candidateWebSearches, searchesEveryAnswer } from '../../src/core/estimate/web-searches.js';

const on = (kind: string, modelId: string) => ({ provider: { kind }, modelId });

describe('models that search before every answer', () => {
  it("are OpenAI's chat search models, dated or not, at OpenAI or behind an OpenAI-compatible proxy", () => {
    for (const modelId of ['gpt-4o-search-preview', 'gpt-4o-search-preview-2025-03-11', 'gpt-4o-mini-search-preview', 'gpt-5-search-api', 'gpt-5-search-api-2025-10-14']) {
      expect(searchesEveryAnswer(on('openai', modelId))).toBe(true);
    }
    expect(searchesEveryAnswer(on('openai-compatible', 'openai/gpt-4o-search-preview'))).toBe(true);
  });

  it('are not other models, nor the same name at a provider that does not speak OpenAI chat', () => {
    for (const modelId of ['gpt-4o', 'gpt-4o-mini', 'gpt-5', 'gpt-4o-search-preview-extra', 'my-gpt-4o-search-preview', 'text-search-ada-doc-001']) {
      expect(searchesEveryAnswer(on('openai', modelId))).toBe(false);
    }
    expect(searchesEveryAnswer(on('anthropic', 'gpt-4o-search-preview'))).toBe(false);
  });

  it('run one search, the one web_search_options configures, never one more', () => {
    expect(candidateWebSearches(on('openai', 'gpt-4o-search-preview'), 0)).toBe(1);
    expect(candidateWebSearches(on('openai', 'gpt-4o-search-preview'), 1)).toBe(1);
    expect(candidateWebSearches(on('openai', 'gpt-4o'), 1)).toBe(1);
    expect(candidateWebSearches(on('openai', 'gpt-4o'), 0)).toBe(0);
  });
});
