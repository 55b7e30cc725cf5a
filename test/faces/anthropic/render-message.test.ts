import { describe, expect, it } from 'vitest';
import type { ChatResult } from '../../../src/core/types.js';
import { renderMessage } from '../../../src/faces/anthropic/render-message.js';

const result = (overrides: Partial<ChatResult>): ChatResult => ({
  requestId: '013Zva2CMHLNnXjNJJKqJ2EF',
  servedModel: 'anthropic/claude-sonnet-4-5',
  provider: 'anthropic',
  usage: { input: 2095, cacheRead: 0, cacheWrite: 0, output: 503, reasoning: 0 },
  cost: 0.0138,
  attempts: 1,
  content: [],
  finishReason: { unified: 'stop', raw: 'end_turn' },
  warnings: [],
  ...overrides,
});

describe('renderMessage', () => {
  it("renders the API reference's example response", () => {
    expect(renderMessage(result({ content: [{ type: 'text', text: 'Hi! My name is Claude.' }] }))).toEqual({
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      type: 'message',
      role: 'assistant',
      model: 'anthropic/claude-sonnet-4-5',
      content: [{ type: 'text', text: 'Hi! My name is Claude.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 2095, output_tokens: 503, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cost: 0.0138 },
      provider: 'anthropic',
    });
  });

  it('renders thinking with its signature, redacted thinking, and tool_use with parsed input', () => {
    const message = renderMessage(
      result({
        content: [
          { type: 'reasoning', text: 'To approach this, let me think...', providerMetadata: { anthropic: { signature: 'zbbJhbGciOiJFU8zI1NiIsImtpZCI6' } } },
          { type: 'reasoning', text: '', providerMetadata: { anthropic: { redactedData: 'EmwKAhgBEgy3' } } },
          { type: 'reasoning', text: 'from another provider' },
          { type: 'text', text: "I'll check the weather." },
          { type: 'tool-call', toolCallId: 'toolu_01A09q90qw90lq917835lq9', toolName: 'get_weather', input: '{"location": "San Francisco, CA"}' },
          { type: 'tool-call', toolCallId: 'srvtoolu_1', toolName: 'web_search', input: '{}', providerExecuted: true },
        ],
        finishReason: { unified: 'tool-calls', raw: 'tool_use' },
      }),
    );
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'To approach this, let me think...', signature: 'zbbJhbGciOiJFU8zI1NiIsImtpZCI6' },
      { type: 'redacted_thinking', data: 'EmwKAhgBEgy3' },
      { type: 'thinking', thinking: 'from another provider', signature: '' },
      { type: 'text', text: "I'll check the weather." },
      { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { location: 'San Francisco, CA' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('reports input_tokens without the cache buckets', () => {
    const message = renderMessage(result({ usage: { input: 1000, cacheRead: 600, cacheWrite: 300, output: 5, reasoning: 0 } }));
    expect(message.usage).toEqual({ input_tokens: 100, cache_read_input_tokens: 600, cache_creation_input_tokens: 300, output_tokens: 5, cost: 0.0138 });
  });

  it('names the only stop sequence when an Anthropic upstream matched one', () => {
    const message = renderMessage(result({ finishReason: { unified: 'stop', raw: 'stop_sequence' } }), { stopSequences: ['\n\nHuman:'] });
    expect(message).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: '\n\nHuman:' });
  });
});
