import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { parseChatCompletionRequest } from '../../../src/faces/openai/chat-api.js';

/** Runs the parser and returns the error it throws (fails the test if it does not throw). */
function rejection(body: unknown): GatewayError {
  try {
    parseChatCompletionRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected the request to be rejected');
}

const minimal = { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] };

describe('parseChatCompletionRequest accepts', () => {
  it("OpenAI's reference request: developer + user messages", () => {
    const body = {
      model: 'openai/gpt-4.1',
      messages: [
        { role: 'developer', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Hello!' },
      ],
    };
    expect(parseChatCompletionRequest(body).messages).toHaveLength(2);
  });

  it("OpenAI's vision request with an image_url part", () => {
    const body = {
      model: 'openai/gpt-4.1',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: "What's in this image?" },
            {
              type: 'image_url',
              image_url: {
                url: 'https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg',
              },
            },
          ],
        },
      ],
      max_tokens: 300,
    };
    expect(parseChatCompletionRequest(body).max_tokens).toBe(300);
  });

  it("OpenAI's function calling request with tools and tool_choice", () => {
    const body = {
      model: 'openai/gpt-4.1',
      messages: [{ role: 'user', content: "What's the weather like in Boston today?" }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_current_weather',
            description: 'Get the current weather in a given location',
            parameters: {
              type: 'object',
              properties: {
                location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
                unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
              },
              required: ['location'],
            },
          },
        },
      ],
      tool_choice: 'auto',
    };
    const parsed = parseChatCompletionRequest(body);
    expect(parsed.tools?.[0]?.function.name).toBe('get_current_weather');
    expect(parsed.tool_choice).toBe('auto');
  });

  it('every sampling and streaming field with its documented type', () => {
    const body = {
      ...minimal,
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 100,
      stop: ['END'],
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      n: 1,
      stream: true,
      stream_options: { include_usage: true },
      user: 'user-1',
      parallel_tool_calls: false,
      reasoning_effort: 'low',
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' }, strict: true } },
      providerOptions: {
        gateway: { models: ['anthropic/claude-sonnet-4-5'], order: ['openai'], only: ['openai'], user: 'u', tags: ['t'] },
        anthropic: { thinking: { type: 'enabled', budgetTokens: 1024 } },
      },
    };
    const parsed = parseChatCompletionRequest(body);
    expect(parsed.stream_options?.include_usage).toBe(true);
    expect(parsed.providerOptions?.gateway?.models).toEqual(['anthropic/claude-sonnet-4-5']);
  });

  it('nulls for optional fields, as some clients send them', () => {
    const body = { ...minimal, temperature: null, tools: null, stop: null, stream_options: null, n: null };
    expect(parseChatCompletionRequest(body).temperature).toBeNull();
  });

  it('unknown extra fields, which it ignores', () => {
    const body = { ...minimal, logprobs: false, metadata: { a: 'b' }, store: false, service_tier: 'auto' };
    expect(parseChatCompletionRequest(body)).not.toHaveProperty('metadata');
  });

  it('an assistant message with null content and tool calls, then a tool message', () => {
    const body = {
      ...minimal,
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'w', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
    };
    expect(parseChatCompletionRequest(body).messages).toHaveLength(3);
  });
});

describe('parseChatCompletionRequest rejects, naming the field', () => {
  it('a body that is not an object', () => {
    expect(rejection('hello').message).toMatch(/expected object/);
    expect(rejection(null).kind).toBe('invalid_request');
  });

  it('a missing model', () => {
    const error = rejection({ messages: minimal.messages });
    expect(error.message).toBe("Missing required parameter: 'model'.");
    expect(error.details.param).toBe('model');
  });

  it('missing messages and an empty messages array', () => {
    expect(rejection({ model: 'a/b' }).details.param).toBe('messages');
    expect(rejection({ model: 'a/b', messages: [] }).details.param).toBe('messages');
  });

  it('an unknown role, including the legacy function role', () => {
    const error = rejection({ ...minimal, messages: [{ role: 'function', name: 'f', content: 'x' }] });
    expect(error.details.param).toBe('messages[0].role');
    expect(error.message).toMatch(/role must be one of 'system', 'developer', 'user', 'assistant', 'tool'/);
  });

  it('user content of the wrong type', () => {
    const error = rejection({ ...minimal, messages: [{ role: 'user', content: 42 }] });
    expect(error.details.param).toBe('messages[0].content');
    expect(error.message).toMatch(/string or an array of content parts/);
  });

  it('a missing user content', () => {
    const error = rejection({ ...minimal, messages: [{ role: 'user' }] });
    expect(error.message).toBe("Missing required parameter: 'messages[0].content'.");
  });

  it('a text part whose text is not a string, at the part itself', () => {
    const error = rejection({
      ...minimal,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'ok' }, { type: 'text', text: 3 }] }],
    });
    expect(error.details.param).toBe('messages[0].content[1].text');
  });

  it('an unknown content part type', () => {
    const error = rejection({ ...minimal, messages: [{ role: 'user', content: [{ type: 'video_url' }] }] });
    expect(error.details.param).toBe('messages[0].content[0].type');
    expect(error.message).toMatch(/'text', 'image_url', 'input_audio', 'file'/);
  });

  it('a tool message without tool_call_id', () => {
    const error = rejection({ ...minimal, messages: [{ role: 'tool', content: 'x' }] });
    expect(error.details.param).toBe('messages[0].tool_call_id');
  });

  it('non-function tools', () => {
    const error = rejection({ ...minimal, tools: [{ type: 'custom', custom: { name: 'x' } }] });
    expect(error.details.param).toBe('tools[0].type');
    expect(error.message).toMatch(/only tools of type 'function'/);
  });

  it('a tool_choice that is neither a mode nor a function', () => {
    const error = rejection({ ...minimal, tool_choice: 'sometimes' });
    expect(error.details.param).toBe('tool_choice');
    expect(error.message).toMatch(/'none', 'auto', 'required'/);
  });

  it('an unknown response_format type', () => {
    const error = rejection({ ...minimal, response_format: { type: 'xml' } });
    expect(error.details.param).toBe('response_format.type');
  });

  it('wrong types on sampling fields', () => {
    expect(rejection({ ...minimal, temperature: 'hot' }).details.param).toBe('temperature');
    expect(rejection({ ...minimal, max_tokens: 1.5 }).details.param).toBe('max_tokens');
    expect(rejection({ ...minimal, max_completion_tokens: 0 }).details.param).toBe('max_completion_tokens');
    expect(rejection({ ...minimal, stop: 5 }).message).toMatch(/stop must be a string or an array of strings/);
    expect(rejection({ ...minimal, stream: 'yes' }).details.param).toBe('stream');
    expect(rejection({ ...minimal, n: 'two' }).details.param).toBe('n');
    expect(rejection({ ...minimal, reasoning_effort: 'extreme' }).details.param).toBe('reasoning_effort');
  });

  it('gateway options of the wrong type', () => {
    const error = rejection({ ...minimal, providerOptions: { gateway: { models: 'openai/gpt-4o' } } });
    expect(error.details.param).toBe('providerOptions.gateway.models');
  });

  it('provider options that are not objects', () => {
    const error = rejection({ ...minimal, providerOptions: { openai: 'fast' } });
    expect(error.details.param).toBe('providerOptions.openai');
  });
});
