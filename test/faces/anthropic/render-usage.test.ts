import { describe, expect, it } from 'vitest';
import { renderUsage } from '../../../src/faces/anthropic/render-usage.js';

describe('renderUsage', () => {
  it('keeps Anthropic input_tokens free of cache reads and writes', () => {
    expect(renderUsage({ usage: { input: 2100, cacheRead: 2000, cacheWrite: 50, output: 30, reasoning: 10 }, cost: null })).toEqual({
      input_tokens: 50,
      cache_read_input_tokens: 2000,
      cache_creation_input_tokens: 50,
      output_tokens: 30,
      cost: null,
    });
  });
});
