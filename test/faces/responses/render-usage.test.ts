import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { renderResponseUsage } from '../../../src/faces/responses/render-usage.js';

describe('renderResponseUsage', () => {
  it("renders OpenAI's reference usage, plus cost and cache writes", () => {
    const usage = renderResponseUsage({ usage: { input: 12033, cacheRead: 11904, cacheWrite: 0, output: 44, reasoning: 0 }, cost: 0.00012 });
    expect(usage).toEqual({
      input_tokens: 12033,
      input_tokens_details: { cached_tokens: 11904, cache_write_tokens: 0 },
      output_tokens: 44,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 12077,
      cost: 0.00012,
    });
    const typed: OpenAI.Responses.ResponseUsage = usage;
    expect(typed.total_tokens).toBe(12077);
  });

  it('keeps an unknown cost null, never 0, and counts reasoning inside output', () => {
    expect(renderResponseUsage({ usage: { input: 10, cacheRead: 0, cacheWrite: 4, output: 30, reasoning: 20 }, cost: null })).toMatchObject({
      input_tokens_details: { cache_write_tokens: 4 },
      output_tokens: 30,
      output_tokens_details: { reasoning_tokens: 20 },
      total_tokens: 40,
      cost: null,
    });
  });
});
