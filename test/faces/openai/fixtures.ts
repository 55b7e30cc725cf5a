import type { Accounting, ChatResult } from '../../../src/core/types.js';

/** Accounting as the core settles it, for the renderers under test. */
export function accounting(overrides: Partial<Accounting> = {}): Accounting {
  return {
    requestId: 'req_123',
    servedModel: 'openai/gpt-4.1',
    provider: 'openai',
    usage: { input: 19, cacheRead: 0, cacheWrite: 0, output: 10, reasoning: 0 },
    cost: 0.000118,
    attempts: 1,
    ...overrides,
  };
}

export function chatResult(overrides: Partial<ChatResult> = {}): ChatResult {
  return {
    ...accounting(),
    content: [{ type: 'text', text: 'Hello! How can I assist you today?' }],
    finishReason: { unified: 'stop', raw: 'stop' },
    warnings: [],
    ...overrides,
  };
}
