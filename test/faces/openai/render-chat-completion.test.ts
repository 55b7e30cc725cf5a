import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { renderChatCompletion } from '../../../src/faces/openai/render-chat-completion.js';
import { chatResult } from './fixtures.js';

describe('renderChatCompletion', () => {
  it("renders OpenAI's reference completion", () => {
    const completion = renderChatCompletion(chatResult(), { created: 1741569952 });
    expect(completion).toEqual({
      id: 'chatcmpl-req_123',
      object: 'chat.completion',
      created: 1741569952,
      model: 'openai/gpt-4.1',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello! How can I assist you today?', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 19,
        completion_tokens: 10,
        total_tokens: 29,
        prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
        cost: 0.000118,
      },
      provider: 'openai',
    });
    // The shape is what the official client's types describe.
    const typed: OpenAI.ChatCompletion = completion;
    expect(typed.object).toBe('chat.completion');
  });

  it("renders OpenAI's reference tool call: null content, function tool_calls, tool_calls finish", () => {
    const completion = renderChatCompletion(
      chatResult({
        content: [
          { type: 'tool-call', toolCallId: 'call_abc123', toolName: 'get_current_weather', input: '{\n"location": "Boston, MA"\n}' },
        ],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
      }),
      { created: 1699896916 },
    );
    expect(completion.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          {
            id: 'call_abc123',
            type: 'function',
            function: { name: 'get_current_weather', arguments: '{\n"location": "Boston, MA"\n}' },
          },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
  });

  it('joins text parts, carries reasoning and leaves out provider-executed tools', () => {
    const completion = renderChatCompletion(
      chatResult({
        content: [
          { type: 'reasoning', text: 'Think. ' },
          { type: 'reasoning', text: 'Done.' },
          { type: 'text', text: 'Part one, ' },
          { type: 'tool-call', toolCallId: 'ws_1', toolName: 'web_search', input: '{}', providerExecuted: true },
          { type: 'tool-result', toolCallId: 'ws_1', toolName: 'web_search', result: { hits: 1 } },
          { type: 'source', sourceType: 'url', id: 's1', url: 'https://example.com' },
          { type: 'text', text: 'part two.' },
        ],
      }),
    );
    expect(completion.choices[0]?.message).toEqual({
      role: 'assistant',
      content: 'Part one, part two.',
      refusal: null,
      reasoning: 'Think. Done.',
    });
  });

  it('renders empty tool input as an empty JSON object', () => {
    const completion = renderChatCompletion(
      chatResult({ content: [{ type: 'tool-call', toolCallId: 'c', toolName: 'now', input: '' }] }),
    );
    expect(completion.choices[0]?.message.tool_calls?.[0]?.function.arguments).toBe('{}');
  });

  it('renders an empty answer as empty content, not null', () => {
    expect(renderChatCompletion(chatResult({ content: [] })).choices[0]?.message.content).toBe('');
  });

  it('maps the finish reason and reports cached and reasoning tokens', () => {
    const completion = renderChatCompletion(
      chatResult({
        finishReason: { unified: 'length', raw: 'max_tokens' },
        usage: { input: 2000, cacheRead: 1500, cacheWrite: 0, output: 400, reasoning: 256 },
        cost: null,
        servedModel: 'anthropic/claude-sonnet-4-5',
        provider: 'anthropic',
      }),
    );
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.model).toBe('anthropic/claude-sonnet-4-5');
    expect(completion.provider).toBe('anthropic');
    expect(completion.usage).toMatchObject({
      prompt_tokens: 2000,
      total_tokens: 2400,
      prompt_tokens_details: { cached_tokens: 1500 },
      completion_tokens_details: { reasoning_tokens: 256 },
      cost: null,
    });
  });

  it('defaults created to the current time in seconds', () => {
    const before = Math.floor(Date.now() / 1000);
    const { created } = renderChatCompletion(chatResult());
    expect(created).toBeGreaterThanOrEqual(before);
    expect(created).toBeLessThanOrEqual(before + 1);
  });
});
