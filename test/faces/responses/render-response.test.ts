import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { renderResponse } from '../../../src/faces/responses/render-response.js';
import { chatResult } from '../openai/fixtures.js';
import { defaultEcho } from './fixtures.js';

const render = (overrides: Parameters<typeof chatResult>[0] = {}, echo = defaultEcho()) =>
  renderResponse(chatResult(overrides), echo, { createdAt: 1741476542, completedAt: 1741476543 });

describe('renderResponse', () => {
  it("renders OpenAI's reference response object, with the served model, cost and provider", () => {
    expect(render()).toEqual({
      id: 'resp_req_123',
      object: 'response',
      created_at: 1741476542,
      status: 'completed',
      completed_at: 1741476543,
      error: null,
      incomplete_details: null,
      instructions: null,
      max_output_tokens: null,
      model: 'openai/gpt-4.1',
      output: [
        {
          type: 'message',
          id: 'msg_req_123_0',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Hello! How can I assist you today?', annotations: [], logprobs: [] }],
        },
      ],
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: true,
      temperature: null,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: [],
      top_p: null,
      truncation: 'disabled',
      usage: {
        input_tokens: 19,
        input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
        output_tokens: 10,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 29,
        cost: 0.000118,
      },
      user: null,
      metadata: {},
      provider: 'openai',
    });
  });

  it("renders OpenAI's function-calling example as a function_call item with the upstream's call id", () => {
    const response = render({
      content: [{ type: 'tool-call', toolCallId: 'call_12345xyz', toolName: 'get_weather', input: '{"location":"Paris, France"}' }],
      finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
    });
    expect(response.status).toBe('completed');
    expect(response.output).toEqual([
      { type: 'function_call', id: 'fc_req_123_0', call_id: 'call_12345xyz', name: 'get_weather', arguments: '{"location":"Paris, France"}', status: 'completed' },
    ]);
  });

  it('orders reasoning, text and calls as they came, merging adjacent text and reasoning', () => {
    const response = render({
      content: [
        { type: 'reasoning', text: 'First, ' },
        { type: 'reasoning', text: 'the weather.' },
        { type: 'text', text: 'Let me ' },
        { type: 'text', text: 'check.' },
        { type: 'tool-call', toolCallId: 'a', toolName: 'get_weather', input: '' },
        { type: 'tool-call', toolCallId: 'ws', toolName: 'web_search', input: '{}', providerExecuted: true },
      ],
    });
    const items: OpenAI.Responses.ResponseOutputItem[] = response.output;
    expect(items).toEqual([
      { type: 'reasoning', id: 'rs_req_123_0', summary: [{ type: 'summary_text', text: 'First, ' }, { type: 'summary_text', text: 'the weather.' }] },
      { type: 'message', id: 'msg_req_123_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Let me check.', annotations: [], logprobs: [] }] },
      // Empty arguments of a call without parameters are an empty JSON object; provider-run calls are left out.
      { type: 'function_call', id: 'fc_req_123_2', call_id: 'a', name: 'get_weather', arguments: '{}', status: 'completed' },
    ]);
  });

  it('is incomplete with reason max_output_tokens when the answer was cut at the limit', () => {
    const response = render({ finishReason: { unified: 'length', raw: 'length' } }, defaultEcho({ max_output_tokens: 10 }));
    expect(response).toMatchObject({ status: 'incomplete', completed_at: null, incomplete_details: { reason: 'max_output_tokens' }, max_output_tokens: 10 });
    expect(response.output[0]).toMatchObject({ type: 'message', status: 'incomplete' });
  });

  it('keeps an unknown cost null and the id tied to the request id', () => {
    const response = render({ requestId: 'abc', cost: null });
    expect(response.id).toBe('resp_abc');
    expect(response.usage?.cost).toBeNull();
  });
});
