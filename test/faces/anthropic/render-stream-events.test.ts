import type { LanguageModelV3StreamPart, LanguageModelV3Usage } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import type { Accounting } from '../../../src/core/types.js';
import { createMessageStreamRenderer, formatSseEvent, type MessageStreamRendererOptions, type StreamEvent } from '../../../src/faces/anthropic/render-stream-events.js';

const v3Usage: LanguageModelV3Usage = {
  inputTokens: { total: 472, noCache: 472, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 15, text: 15, reasoning: 0 },
};
const accounting: Accounting = {
  requestId: 'req1',
  servedModel: 'anthropic/claude-sonnet-4-5',
  provider: 'anthropic',
  usage: { input: 472, cacheRead: 0, cacheWrite: 0, output: 15, reasoning: 0 },
  cost: 0.001641,
  attempts: 1,
};
const options: MessageStreamRendererOptions = {
  requestId: 'req1',
  servedModel: 'anthropic/claude-sonnet-4-5',
  provider: 'anthropic',
  estimatedInputTokens: 9,
};
const finish = (unified: 'stop' | 'tool-calls' | 'length', raw?: string): LanguageModelV3StreamPart => ({
  type: 'finish',
  finishReason: { unified, raw },
  usage: v3Usage,
});

function render(parts: LanguageModelV3StreamPart[], overrides: Partial<MessageStreamRendererOptions> = {}, settled: Accounting = accounting) {
  const renderer = createMessageStreamRenderer({ ...options, ...overrides });
  const events: StreamEvent[] = parts.flatMap((part) => renderer.part(part));
  if (!renderer.failed) events.push(...renderer.end(settled));
  return { events, failed: renderer.failed };
}
const names = (events: StreamEvent[]) => events.map((event) => event.event);

describe('createMessageStreamRenderer', () => {
  it("renders a text stream as the API reference's basic streaming example", () => {
    const { events } = render([
      { type: 'stream-start', warnings: [] },
      { type: 'response-metadata', id: 'msg_1', modelId: 'claude-sonnet-4-5' },
      { type: 'text-start', id: '0' },
      { type: 'text-delta', id: '0', delta: 'Hello' },
      { type: 'text-delta', id: '0', delta: '!' },
      { type: 'text-end', id: '0' },
      finish('stop', 'end_turn'),
    ]);
    expect(events.map((event) => event.data)).toEqual([
      {
        type: 'message_start',
        message: {
          id: 'msg_req1',
          type: 'message',
          role: 'assistant',
          model: 'anthropic/claude-sonnet-4-5',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 9, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
          provider: 'anthropic',
        },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'ping' },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '!' } },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { input_tokens: 472, output_tokens: 15, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cost: 0.001641 },
      },
      { type: 'message_stop' },
    ]);
    expect(formatSseEvent(events.at(-1)!)).toBe('event: message_stop\ndata: {"type":"message_stop"}\n\n');
  });

  it('renders text then a streamed tool call as the tool use streaming example', () => {
    const { events } = render([
      { type: 'text-start', id: '0' },
      { type: 'text-delta', id: '0', delta: 'Okay, let me check.' },
      { type: 'text-end', id: '0' },
      { type: 'tool-input-start', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', toolName: 'get_weather' },
      { type: 'tool-input-delta', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', delta: '{"location":' },
      { type: 'tool-input-delta', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', delta: ' "San Francisco, CA"}' },
      { type: 'tool-input-end', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6' },
      { type: 'tool-call', toolCallId: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', toolName: 'get_weather', input: '{"location": "San Francisco, CA"}' },
      finish('tool-calls', 'tool_use'),
    ]);
    expect(names(events)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[5]!.data).toEqual({
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: {} },
    });
    expect(events[6]!.data).toEqual({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"location":' } });
    expect((events[9]!.data.delta as { stop_reason: string }).stop_reason).toBe('tool_use');
  });

  it('sends a tool call that arrives whole as one input_json_delta, and {} for one without input', () => {
    const { events } = render([
      { type: 'tool-call', toolCallId: 'c1', toolName: 'a', input: '{"city":"Paris"}' },
      { type: 'tool-call', toolCallId: 'c2', toolName: 'b', input: '' },
      finish('tool-calls'),
    ]);
    const deltas = events.filter((event) => event.event === 'content_block_delta').map((event) => event.data);
    expect(deltas).toEqual([
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"city":"Paris"}' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{}' } },
    ]);
  });

  it('renders thinking with thinking_delta and signature_delta, and redacted thinking whole', () => {
    const { events } = render([
      { type: 'reasoning-start', id: '0' },
      { type: 'reasoning-delta', id: '0', delta: 'I need to find the GCD of 1071 and 462.' },
      { type: 'reasoning-delta', id: '0', delta: '', providerMetadata: { anthropic: { signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h' } } },
      { type: 'reasoning-end', id: '0' },
      { type: 'reasoning-start', id: '1', providerMetadata: { anthropic: { redactedData: 'EmwKAhgB' } } },
      { type: 'reasoning-end', id: '1' },
      { type: 'text-start', id: '2' },
      { type: 'text-delta', id: '2', delta: 'The GCD is 21.' },
      { type: 'text-end', id: '2' },
      finish('stop', 'end_turn'),
    ]);
    expect(events.slice(1, 10).map((event) => event.data)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'ping' },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'I need to find the GCD of 1071 and 462.' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'EmwKAhgB' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'The GCD is 21.' } },
    ]);
  });

  it('keeps one block open at a time: content that interleaves with a tool call waits until the call is complete', () => {
    const { events } = render([
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'A' },
      { type: 'tool-input-start', id: 'c1', toolName: 'x' },
      { type: 'tool-input-delta', id: 'c1', delta: '{"a":' },
      { type: 'text-delta', id: 't', delta: 'B' },
      { type: 'tool-input-start', id: 'c2', toolName: 'y' },
      { type: 'tool-input-delta', id: 'c2', delta: '{}' },
      { type: 'tool-input-delta', id: 'c1', delta: '1}' },
      { type: 'tool-call', toolCallId: 'c1', toolName: 'x', input: '{"a":1}' },
      { type: 'tool-call', toolCallId: 'c2', toolName: 'y', input: '{}' },
      { type: 'text-end', id: 't' },
      finish('tool-calls'),
    ]);
    const blocks = events
      .filter((event) => event.event !== 'ping')
      .map((event) => {
        const data = event.data as { index?: number; delta?: Record<string, string>; content_block?: { type: string } };
        return `${event.event}:${data.index ?? ''}:${data.content_block?.type ?? data.delta?.text ?? data.delta?.partial_json ?? ''}`;
      });
    expect(blocks).toEqual([
      'message_start::',
      'content_block_start:0:text',
      'content_block_delta:0:A',
      'content_block_stop:0:',
      'content_block_start:1:tool_use',
      'content_block_delta:1:{"a":',
      'content_block_delta:1:1}',
      'content_block_stop:1:',
      'content_block_start:2:text',
      'content_block_delta:2:B',
      'content_block_stop:2:',
      'content_block_start:3:tool_use',
      'content_block_delta:3:{}',
      'content_block_stop:3:',
      'message_delta::',
      'message_stop::',
    ]);
  });

  it('puts the upstream input count in message_start when the raw chunks state it before content', () => {
    const { events } = render([
      { type: 'raw', rawValue: { type: 'message_start', message: { usage: { input_tokens: 25, cache_read_input_tokens: 100, cache_creation_input_tokens: 7, output_tokens: 1 } } } },
      { type: 'text-delta', id: '0', delta: 'Hi' },
      { type: 'raw', rawValue: { type: 'message_start', message: { usage: { input_tokens: 999 } } } },
      finish('stop'),
    ]);
    expect((events[0]!.data.message as { usage: unknown }).usage).toEqual({ input_tokens: 25, cache_read_input_tokens: 100, cache_creation_input_tokens: 7, output_tokens: 0 });
  });

  it('maps a matched stop sequence from the provider metadata', () => {
    const { events } = render([
      { type: 'text-delta', id: '0', delta: 'one two' },
      { type: 'finish', finishReason: { unified: 'stop', raw: 'stop_sequence' }, usage: v3Usage, providerMetadata: { anthropic: { stopSequence: 'four' } } },
    ], { stopSequences: ['three', 'four'] });
    expect(events.at(-2)!.data.delta).toEqual({ stop_reason: 'stop_sequence', stop_sequence: 'four' });
  });

  it('ends a failing stream with an in-band error event and nothing after it', () => {
    const renderer = createMessageStreamRenderer(options);
    const events = [
      ...renderer.part({ type: 'text-delta', id: '0', delta: 'partial' }),
      ...renderer.part({ type: 'error', error: new GatewayError('stream_interrupted', 'the upstream stream broke off after it had started; the answer is incomplete') }),
      ...renderer.part({ type: 'text-delta', id: '0', delta: 'more' }),
    ];
    expect(renderer.failed).toBe(true);
    expect(renderer.end(accounting)).toEqual([]);
    expect(names(events)).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta', 'error']);
    expect(events.at(-1)!.data).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'the upstream stream broke off after it had started; the answer is incomplete', details: { error_code: 'stream_interrupted' } },
      request_id: 'req1',
    });
    expect(formatSseEvent(events.at(-1)!)).toMatch(/^event: error\ndata: \{"type":"error"/);
  });

  it('closes open blocks and still sends message_start when the stream ended without a finish part', () => {
    expect(names(render([]).events)).toEqual(['message_start', 'message_delta', 'message_stop']);
    const { events } = render([{ type: 'tool-input-start', id: 'c', toolName: 'x' }, { type: 'tool-input-delta', id: 'c', delta: '{"a"' }]);
    expect(names(events)).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
  });

  it('hides provider-executed tool calls', () => {
    const { events } = render([
      { type: 'tool-input-start', id: 's1', toolName: 'web_search', providerExecuted: true },
      { type: 'tool-input-delta', id: 's1', delta: '{}' },
      { type: 'tool-call', toolCallId: 's1', toolName: 'web_search', input: '{}', providerExecuted: true },
      { type: 'text-delta', id: '1', delta: 'Found it.' },
      finish('stop'),
    ]);
    expect(events.filter((event) => event.event === 'content_block_start').map((event) => event.data.content_block)).toEqual([{ type: 'text', text: '' }]);
  });
});
