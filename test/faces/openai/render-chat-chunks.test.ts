import type { LanguageModelV3StreamPart, LanguageModelV3Usage } from '@ai-sdk/provider';
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import type { ChatCompletionChunk } from '../../../src/faces/openai/chat-api.js';
import {
  SSE_DONE,
  createChatChunkRenderer,
  formatSseData,
  isStreamError,
  type ChatStreamEvent,
} from '../../../src/faces/openai/render-chat-chunks.js';
import { accounting } from './fixtures.js';

const v3Usage: LanguageModelV3Usage = {
  inputTokens: { total: 19, noCache: 19, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 10, text: 10, reasoning: 0 },
};

const renderer = () =>
  createChatChunkRenderer({ requestId: 'req_123', servedModel: 'openai/gpt-4o-mini', provider: 'openai', created: 1694268190 });

/** Feeds parts through a fresh renderer and returns only the deltas and finish reasons. */
function deltas(parts: LanguageModelV3StreamPart[]) {
  const r = renderer();
  const events: ChatStreamEvent[] = [...r.start()];
  for (const part of parts) events.push(...r.part(part));
  events.push(...r.flush());
  return events.map((event) =>
    isStreamError(event) ? event : { delta: event.choices[0]?.delta, finish_reason: event.choices[0]?.finish_reason },
  );
}

const finish = (unified: 'stop' | 'tool-calls' | 'length' = 'stop'): LanguageModelV3StreamPart => ({
  type: 'finish',
  usage: v3Usage,
  finishReason: { unified, raw: unified },
});

describe('createChatChunkRenderer', () => {
  it("renders OpenAI's reference stream: role chunk, content deltas, finish chunk", () => {
    const r = renderer();
    const events = [
      ...r.start(),
      ...r.part({ type: 'stream-start', warnings: [] }),
      ...r.part({ type: 'response-metadata', id: 'upstream-id', modelId: 'gpt-4o-mini' }),
      ...r.part({ type: 'text-start', id: 't' }),
      ...r.part({ type: 'text-delta', id: 't', delta: 'Hello' }),
      ...r.part({ type: 'text-delta', id: 't', delta: '!' }),
      ...r.part({ type: 'text-end', id: 't' }),
      ...r.part(finish()),
      ...r.flush(),
    ];
    const base = { id: 'chatcmpl-req_123', object: 'chat.completion.chunk', created: 1694268190, model: 'openai/gpt-4o-mini' };
    expect(events).toEqual([
      { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: 'Hello' }, logprobs: null, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: '!' }, logprobs: null, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] },
    ]);
    const typed: OpenAI.ChatCompletionChunk[] = events as ChatCompletionChunk[];
    expect(typed).toHaveLength(4);
    expect(r.failed).toBe(false);
  });

  it('sends the role chunk before the first content when start was not called', () => {
    const r = renderer();
    expect(r.part({ type: 'stream-start', warnings: [] })).toEqual([]);
    const events = r.part({ type: 'text-delta', id: 't', delta: 'Hi' }) as ChatCompletionChunk[];
    expect(events.map((e) => e.choices[0]?.delta)).toEqual([{ role: 'assistant', content: '' }, { content: 'Hi' }]);
    expect(r.start()).toEqual([]);
  });

  it('renders reasoning deltas as reasoning', () => {
    expect(
      deltas([
        { type: 'reasoning-start', id: 'r' },
        { type: 'reasoning-delta', id: 'r', delta: 'Let me think.' },
        { type: 'reasoning-end', id: 'r' },
        { type: 'text-delta', id: 't', delta: '42' },
        finish(),
      ]),
    ).toEqual([
      { delta: { role: 'assistant', content: '' }, finish_reason: null },
      { delta: { reasoning: 'Let me think.' }, finish_reason: null },
      { delta: { content: '42' }, finish_reason: null },
      { delta: {}, finish_reason: 'stop' },
    ]);
  });

  it('streams tool calls with a stable index per call id, as OpenAI does', () => {
    expect(
      deltas([
        { type: 'tool-input-start', id: 'call_a', toolName: 'get_weather' },
        { type: 'tool-input-delta', id: 'call_a', delta: '{"location":' },
        { type: 'tool-input-start', id: 'call_b', toolName: 'get_time' },
        { type: 'tool-input-delta', id: 'call_a', delta: '"Boston"}' },
        { type: 'tool-input-delta', id: 'call_b', delta: '{}' },
        { type: 'tool-input-end', id: 'call_a' },
        { type: 'tool-call', toolCallId: 'call_a', toolName: 'get_weather', input: '{"location":"Boston"}' },
        { type: 'tool-input-end', id: 'call_b' },
        { type: 'tool-call', toolCallId: 'call_b', toolName: 'get_time', input: '{}' },
        finish('tool-calls'),
      ]),
    ).toEqual([
      { delta: { role: 'assistant', content: '' }, finish_reason: null },
      {
        delta: { tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
        finish_reason: null,
      },
      { delta: { tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] }, finish_reason: null },
      {
        delta: { tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '' } }] },
        finish_reason: null,
      },
      { delta: { tool_calls: [{ index: 0, function: { arguments: '"Boston"}' } }] }, finish_reason: null },
      { delta: { tool_calls: [{ index: 1, function: { arguments: '{}' } }] }, finish_reason: null },
      { delta: {}, finish_reason: 'tool_calls' },
    ]);
  });

  it('emits a whole tool call without deltas as one delta', () => {
    expect(
      deltas([{ type: 'tool-call', toolCallId: 'call_x', toolName: 'lookup', input: '{"q":"tollgate"}' }, finish('tool-calls')]),
    ).toEqual([
      { delta: { role: 'assistant', content: '' }, finish_reason: null },
      {
        delta: { tool_calls: [{ index: 0, id: 'call_x', type: 'function', function: { name: 'lookup', arguments: '' } }] },
        finish_reason: null,
      },
      { delta: { tool_calls: [{ index: 0, function: { arguments: '{"q":"tollgate"}' } }] }, finish_reason: null },
      { delta: {}, finish_reason: 'tool_calls' },
    ]);
  });

  it('sends the final input of a tool whose deltas were raw text, not JSON', () => {
    const events = deltas([
      { type: 'tool-input-start', id: 'c', toolName: 'shell', inputEncoding: 'text' },
      { type: 'tool-input-delta', id: 'c', delta: 'ls -la' },
      { type: 'tool-call', toolCallId: 'c', toolName: 'shell', input: '"ls -la"' },
    ]);
    expect(events.slice(1, 3)).toEqual([
      {
        delta: { tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'shell', arguments: '' } }] },
        finish_reason: null,
      },
      { delta: { tool_calls: [{ index: 0, function: { arguments: '"ls -la"' } }] }, finish_reason: null },
    ]);
  });

  it('hides provider-executed tool calls and their results', () => {
    expect(
      deltas([
        { type: 'tool-input-start', id: 'ws', toolName: 'web_search', providerExecuted: true },
        { type: 'tool-input-delta', id: 'ws', delta: '{}' },
        { type: 'tool-call', toolCallId: 'ws', toolName: 'web_search', input: '{}', providerExecuted: true },
        { type: 'tool-result', toolCallId: 'ws', toolName: 'web_search', result: { hits: [] } },
        { type: 'text-delta', id: 't', delta: 'Found nothing.' },
        finish(),
      ]),
    ).toEqual([
      { delta: { role: 'assistant', content: '' }, finish_reason: null },
      { delta: { content: 'Found nothing.' }, finish_reason: null },
      { delta: {}, finish_reason: 'stop' },
    ]);
  });

  it('closes a stream that ended without finish with a stop chunk', () => {
    const r = renderer();
    r.part({ type: 'text-delta', id: 't', delta: 'cut' });
    expect((r.flush() as ChatCompletionChunk[]).map((e) => e.choices[0]?.finish_reason)).toEqual(['stop']);
    expect(r.flush()).toEqual([]);
  });

  it('turns an error after the commit point into an in-band error and stops', () => {
    const r = renderer();
    r.start();
    r.part({ type: 'text-delta', id: 't', delta: 'Partial' });
    const events = r.part({
      type: 'error',
      error: new GatewayError('stream_interrupted', 'The upstream closed the stream early.', { provider: 'openai' }),
    });
    expect(events).toEqual([
      {
        error: {
          message: 'The upstream closed the stream early.',
          type: 'api_error',
          param: null,
          code: 'stream_interrupted',
        },
      },
    ]);
    expect(r.failed).toBe(true);
    expect(r.part({ type: 'text-delta', id: 't', delta: 'more' })).toEqual([]);
    expect(r.flush()).toEqual([]);
  });

  it('does not leak the message of an unknown error value', () => {
    const r = renderer();
    const [event] = r.part({ type: 'error', error: new Error('connect ECONNREFUSED https://key@internal') });
    expect(event).toEqual({
      error: {
        message: 'The upstream stream was interrupted.',
        type: 'api_error',
        param: null,
        code: 'stream_interrupted',
      },
    });
  });

  it('renders the usage chunk with empty choices and cost', () => {
    const chunk = renderer().usage(
      accounting({
        servedModel: 'openai/gpt-4o-mini',
        usage: { input: 100, cacheRead: 64, cacheWrite: 0, output: 20, reasoning: 5 },
        cost: 0.00002,
      }),
    );
    expect(chunk).toEqual({
      id: 'chatcmpl-req_123',
      object: 'chat.completion.chunk',
      created: 1694268190,
      model: 'openai/gpt-4o-mini',
      choices: [],
      usage: {
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 120,
        prompt_tokens_details: { cached_tokens: 64, cache_write_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 5 },
        cost: 0.00002,
      },
      provider: 'openai',
    });
  });
});

describe('SSE framing', () => {
  it('frames one JSON event per data line and ends with [DONE]', () => {
    expect(formatSseData({ a: 1 })).toBe('data: {"a":1}\n\n');
    expect(SSE_DONE).toBe('data: [DONE]\n\n');
  });
});
