import type { LanguageModelV3StreamPart, LanguageModelV3Usage } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { createResponseEventRenderer, formatResponseEvent } from '../../../src/faces/responses/render-response-events.js';
import type { ResponseStreamEvent } from '../../../src/faces/responses/responses-api.js';
import { accounting } from '../openai/fixtures.js';
import { defaultEcho } from './fixtures.js';

const v3Usage: LanguageModelV3Usage = {
  inputTokens: { total: 19, noCache: 19, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 10, text: 10, reasoning: 0 },
};
const finish = (unified: 'stop' | 'tool-calls' | 'length' = 'stop'): LanguageModelV3StreamPart => ({ type: 'finish', usage: v3Usage, finishReason: { unified, raw: unified } });

const renderer = () =>
  createResponseEventRenderer({ requestId: 'req_123', servedModel: 'openai/gpt-4o-mini', provider: 'openai', createdAt: 1767874658, echo: defaultEcho() });

/** Runs parts through a fresh renderer, the way the handler does. */
function run(parts: LanguageModelV3StreamPart[]): ResponseStreamEvent[] {
  const r = renderer();
  const events = [...r.start()];
  for (const part of parts) events.push(...r.part(part));
  events.push(...r.end(accounting({ servedModel: 'openai/gpt-4o-mini' })));
  return events;
}

const types = (events: ResponseStreamEvent[]) => events.map((event) => event.type);

const textParts = (...deltas: string[]): LanguageModelV3StreamPart[] => [
  { type: 'text-start', id: 't' },
  ...deltas.map((delta): LanguageModelV3StreamPart => ({ type: 'text-delta', id: 't', delta })),
  { type: 'text-end', id: 't' },
];

describe('createResponseEventRenderer', () => {
  it("renders OpenAI's recorded text stream, event for event", () => {
    const events = run([{ type: 'stream-start', warnings: [] }, { type: 'response-metadata', id: 'up', modelId: 'gpt-4o-mini' }, ...textParts('Why', ' not?'), finish()]);
    const item = { id: 'msg_req_123_0', type: 'message', role: 'assistant' };
    const part = { type: 'output_text', annotations: [], logprobs: [] };
    const where = { item_id: 'msg_req_123_0', output_index: 0, content_index: 0 };
    expect(events.slice(2, -1)).toEqual([
      { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', content: [] }, sequence_number: 2 },
      { type: 'response.content_part.added', ...where, part: { ...part, text: '' }, sequence_number: 3 },
      { type: 'response.output_text.delta', ...where, delta: 'Why', logprobs: [], sequence_number: 4 },
      { type: 'response.output_text.delta', ...where, delta: ' not?', logprobs: [], sequence_number: 5 },
      { type: 'response.output_text.done', ...where, text: 'Why not?', logprobs: [], sequence_number: 6 },
      { type: 'response.content_part.done', ...where, part: { ...part, text: 'Why not?' }, sequence_number: 7 },
      { type: 'response.output_item.done', output_index: 0, item: { ...item, status: 'completed', content: [{ ...part, text: 'Why not?' }] }, sequence_number: 8 },
    ]);

    const [created, inProgress] = events;
    expect(created).toMatchObject({ type: 'response.created', sequence_number: 0, response: { id: 'resp_req_123', status: 'in_progress', output: [], usage: null, model: 'openai/gpt-4o-mini' } });
    expect(inProgress).toMatchObject({ type: 'response.in_progress', sequence_number: 1, response: { status: 'in_progress' } });
    expect(events.at(-1)).toMatchObject({
      type: 'response.completed',
      sequence_number: 9,
      response: {
        status: 'completed',
        output: [{ ...item, status: 'completed', content: [{ ...part, text: 'Why not?' }] }],
        usage: { input_tokens: 19, output_tokens: 10, total_tokens: 29, cost: 0.000118 },
        provider: 'openai',
      },
    });
  });

  it('streams a function call: item added, argument deltas, arguments done, item done', () => {
    const events = run([
      { type: 'tool-input-start', id: 'call_1', toolName: 'get_weather' },
      { type: 'tool-input-delta', id: 'call_1', delta: '{"loca' },
      { type: 'tool-input-delta', id: 'call_1', delta: 'tion":"Paris"}' },
      { type: 'tool-input-end', id: 'call_1' },
      { type: 'tool-call', toolCallId: 'call_1', toolName: 'get_weather', input: '{"location":"Paris"}' },
      finish('tool-calls'),
    ]);
    const where = { item_id: 'fc_req_123_0', output_index: 0 };
    expect(events.slice(2, -1)).toEqual([
      {
        type: 'response.output_item.added',
        output_index: 0,
        item: { type: 'function_call', id: 'fc_req_123_0', call_id: 'call_1', name: 'get_weather', arguments: '', status: 'in_progress' },
        sequence_number: 2,
      },
      { type: 'response.function_call_arguments.delta', ...where, delta: '{"loca', sequence_number: 3 },
      { type: 'response.function_call_arguments.delta', ...where, delta: 'tion":"Paris"}', sequence_number: 4 },
      { type: 'response.function_call_arguments.done', ...where, name: 'get_weather', arguments: '{"location":"Paris"}', sequence_number: 5 },
      {
        type: 'response.output_item.done',
        output_index: 0,
        item: { type: 'function_call', id: 'fc_req_123_0', call_id: 'call_1', name: 'get_weather', arguments: '{"location":"Paris"}', status: 'completed' },
        sequence_number: 6,
      },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: { status: 'completed', output: [{ type: 'function_call', call_id: 'call_1' }] } });
  });

  it('sends a call that arrives whole (Gemini) as one arguments delta', () => {
    const events = run([{ type: 'tool-call', toolCallId: 'g1', toolName: 'get_weather', input: '{"city":"Paris"}' }, finish('tool-calls')]);
    expect(types(events).slice(2)).toEqual([
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[3]).toMatchObject({ delta: '{"city":"Paris"}' });
  });

  it('renders reasoning as a reasoning item with a summary, then text as a second item', () => {
    const events = run([
      { type: 'reasoning-start', id: 'r' },
      { type: 'reasoning-delta', id: 'r', delta: 'Think.' },
      { type: 'reasoning-end', id: 'r' },
      ...textParts('42'),
      finish(),
    ]);
    expect(types(events).slice(2)).toEqual([
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.at(-1)).toMatchObject({
      response: { output: [{ type: 'reasoning', id: 'rs_req_123_0', summary: [{ type: 'summary_text', text: 'Think.' }] }, { type: 'message', id: 'msg_req_123_1' }] },
    });
  });

  it('ends a length-cut answer with response.incomplete, its message incomplete', () => {
    const events = run([...textParts('cut'), finish('length')]);
    expect(types(events).slice(-2)).toEqual(['response.output_item.done', 'response.incomplete']);
    expect(events.at(-2)).toMatchObject({ item: { status: 'incomplete' } });
    expect(events.at(-1)).toMatchObject({ response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, completed_at: null } });
  });

  it('ends a stream broken after its first token with response.failed, items closed as incomplete, usage billed', () => {
    const events = run([
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'Hel' },
      { type: 'error', error: new GatewayError('stream_interrupted', 'the upstream reported an error after the answer had started; the answer is incomplete') },
      { type: 'text-delta', id: 't', delta: 'lo' },
    ]);
    expect(types(events)).not.toContain('response.completed');
    expect(types(events).slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.failed']);
    expect(events.at(-1)).toMatchObject({
      response: {
        status: 'failed',
        error: { code: 'stream_interrupted', message: expect.stringMatching(/incomplete/) },
        output: [{ type: 'message', status: 'incomplete', content: [{ text: 'Hel' }] }],
        usage: { output_tokens: 10 },
      },
    });
  });

  it('never leaks a non-gateway error message', () => {
    const events = run([...textParts('a'), { type: 'error', error: new Error('secret https://internal/?key=sk-1') }]);
    expect(events.at(-1)).toMatchObject({ type: 'response.failed', response: { error: { code: 'stream_interrupted', message: 'The upstream stream was interrupted.' } } });
  });

  it('hides provider-executed tool calls and ignores empty deltas', () => {
    const events = run([
      { type: 'tool-input-start', id: 'ws', toolName: 'web_search', providerExecuted: true },
      { type: 'tool-input-delta', id: 'ws', delta: '{}' },
      { type: 'tool-call', toolCallId: 'ws', toolName: 'web_search', input: '{}', providerExecuted: true },
      { type: 'text-delta', id: 't', delta: '' },
      finish(),
    ]);
    expect(types(events)).toEqual(['response.created', 'response.in_progress', 'response.completed']);
  });

  it('numbers events without gaps across start, parts and end, and starts on its own when needed', () => {
    const r = renderer();
    const first = r.part({ type: 'text-delta', id: 't', delta: 'x' });
    expect(types(first).slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(r.start()).toEqual([]);
    const all = [...first, ...r.end(accounting())];
    expect(all.map((event) => event.sequence_number)).toEqual(all.map((_, i) => i));
    expect(r.end(accounting())).toEqual([]);
  });

  it('hands out snapshots: later deltas do not change events already returned', () => {
    const r = renderer();
    const opened = r.part({ type: 'text-delta', id: 't', delta: 'a' });
    r.part({ type: 'text-delta', id: 't', delta: 'b' });
    expect(opened.find((event) => event.type === 'response.content_part.added')).toMatchObject({ part: { text: '' } });
  });
});

describe('formatResponseEvent', () => {
  it('frames an event as OpenAI does: its type as the SSE event name', () => {
    const [created] = renderer().start();
    expect(formatResponseEvent(created!)).toMatch(/^event: response\.created\ndata: \{"type":"response\.created",.*"sequence_number":0\}\n\n$/);
  });
});
