import { describe, expect, it } from 'vitest';
import { readEarlyUsage } from '../../../src/faces/anthropic/read-early-usage.js';

describe('readEarlyUsage', () => {
  it("reads Anthropic's message_start usage", () => {
    expect(readEarlyUsage({ type: 'message_start', message: { usage: { input_tokens: 25, output_tokens: 1 } } })).toEqual({
      input_tokens: 25,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
  });
  it("reads Gemini's usageMetadata, whose prompt count includes cached tokens", () => {
    expect(readEarlyUsage({ candidates: [], usageMetadata: { promptTokenCount: 120, cachedContentTokenCount: 100 } })).toEqual({
      input_tokens: 20,
      cache_read_input_tokens: 100,
      cache_creation_input_tokens: 0,
    });
  });
  it('finds nothing in OpenAI chunks, which report usage only at the end', () => {
    expect(readEarlyUsage({ choices: [{ delta: { content: 'hi' } }], usage: null })).toBeUndefined();
    expect(readEarlyUsage('text')).toBeUndefined();
  });
});
