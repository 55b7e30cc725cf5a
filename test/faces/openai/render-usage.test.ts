import { describe, expect, it } from 'vitest';
import { renderUsage } from '../../../src/faces/openai/render-usage.js';

describe('renderUsage', () => {
  it('counts cached tokens inside prompt_tokens and reports cost', () => {
    expect(
      renderUsage({ usage: { input: 1200, cacheRead: 1024, cacheWrite: 100, output: 300, reasoning: 128 }, cost: 0.0042 }),
    ).toEqual({
      prompt_tokens: 1200,
      completion_tokens: 300,
      total_tokens: 1500,
      prompt_tokens_details: { cached_tokens: 1024, cache_write_tokens: 100 },
      completion_tokens_details: { reasoning_tokens: 128 },
      cost: 0.0042,
    });
  });

  it('keeps an unknown cost null rather than 0', () => {
    expect(renderUsage({ usage: { input: 1, cacheRead: 0, cacheWrite: 0, output: 1, reasoning: 0 }, cost: null }).cost).toBeNull();
  });
});
