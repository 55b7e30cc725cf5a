import { describe, expect, it } from 'vitest';
import { estimateInputTokens } from '../../../src/faces/anthropic/estimate-input-tokens.js';

describe('estimateInputTokens', () => {
  it('counts the prompt at about four characters a token, and the tool definitions', () => {
    const prompt = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'x'.repeat(400) }] }];
    const bare = estimateInputTokens({ prompt });
    expect(bare).toBeGreaterThanOrEqual(100);
    expect(bare).toBeLessThan(110);
    expect(estimateInputTokens({ prompt, tools: [{ type: 'function', name: 'f', inputSchema: { type: 'object', description: 'y'.repeat(400) } }] })).toBeGreaterThan(bare + 100);
  });
});
