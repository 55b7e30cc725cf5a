import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { parseChatCompletionRequest } from '../../../src/faces/openai/chat-api.js';
import { convertChatRequest } from '../../../src/faces/openai/convert-chat-request.js';

const convert = (body: unknown) => convertChatRequest(parseChatCompletionRequest(body));

function rejection(body: unknown): GatewayError {
  try {
    convert(body);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).kind).toBe('invalid_request');
    return error as GatewayError;
  }
  throw new Error('expected the request to be rejected');
}

const model = 'openai/gpt-4o-mini';
const user = (content: unknown) => ({ model, messages: [{ role: 'user', content }] });

describe('convertChatRequest', () => {
  it("turns OpenAI's reference request into a V3 prompt", () => {
    const converted = convert({
      model,
      messages: [
        { role: 'developer', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Hello!' },
      ],
    });
    expect(converted).toEqual({
      request: {
        model,
        call: {
          prompt: [
            { role: 'system', content: 'You are a helpful assistant.' },
            { role: 'user', content: [{ type: 'text', text: 'Hello!' }] },
          ],
        },
      },
      stream: false,
      includeUsage: false,
    });
  });

  it('keeps several system messages in place and joins text parts', () => {
    const { request } = convert({
      model,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        { role: 'user', content: 'hi' },
        { role: 'system', content: 'later' },
      ],
    });
    expect(request.call.prompt.map((m) => m.role)).toEqual(['system', 'user', 'system']);
    expect(request.call.prompt[0]).toEqual({ role: 'system', content: 'a\nb' });
  });

  it('maps an http(s) image to a file part with a URL and image/*', () => {
    const url = 'https://upload.wikimedia.org/boardwalk.jpg';
    const { request } = convert(
      user([
        { type: 'text', text: "What's in this image?" },
        { type: 'image_url', image_url: { url, detail: 'high' } },
      ]),
    );
    expect(request.call.prompt[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: "What's in this image?" },
        { type: 'file', mediaType: 'image/*', data: new URL(url) },
      ],
    });
  });

  it('maps a data: image URL to base64 data with its media type', () => {
    const { request } = convert(user([{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }]));
    expect(request.call.prompt[0]?.content).toEqual([{ type: 'file', mediaType: 'image/png', data: 'iVBORw0KGgo=' }]);
  });

  it('maps input_audio and inline files to file parts', () => {
    const { request } = convert(
      user([
        { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
        { type: 'input_audio', input_audio: { data: 'SUQz', format: 'mp3' } },
        { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
      ]),
    );
    expect(request.call.prompt[0]?.content).toEqual([
      { type: 'file', mediaType: 'audio/wav', data: 'UklGRg==' },
      { type: 'file', mediaType: 'audio/mpeg', data: 'SUQz' },
      { type: 'file', mediaType: 'application/pdf', data: 'JVBERi0=', filename: 'a.pdf' },
    ]);
  });

  it('maps a tool-calling conversation: calls with parsed input, results with the tool name', () => {
    const { request } = convert({
      model,
      messages: [
        { role: 'user', content: "What's the weather like in Boston and Paris?" },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_abc123', type: 'function', function: { name: 'get_current_weather', arguments: '{\n"location": "Boston, MA"\n}' } },
            { id: 'call_def456', type: 'function', function: { name: 'get_current_weather', arguments: '{"location":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_abc123', content: '{"temperature": 22}' },
        { role: 'tool', tool_call_id: 'call_def456', content: [{ type: 'text', text: '18C' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Warm in Boston.' }] },
      ],
    });
    expect(request.call.prompt.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'tool-call', toolCallId: 'call_abc123', toolName: 'get_current_weather', input: { location: 'Boston, MA' } },
          { type: 'tool-call', toolCallId: 'call_def456', toolName: 'get_current_weather', input: { location: 'Paris' } },
        ],
      },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'call_abc123', toolName: 'get_current_weather', output: { type: 'text', value: '{"temperature": 22}' } },
          { type: 'tool-result', toolCallId: 'call_def456', toolName: 'get_current_weather', output: { type: 'text', value: '18C' } },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'Warm in Boston.' }] },
    ]);
  });

  it('reads empty tool arguments as an empty object', () => {
    const { request } = convert({
      model,
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'now', arguments: '' } }] },
      ],
    });
    expect(request.call.prompt[1]?.content).toEqual([{ type: 'tool-call', toolCallId: 'c', toolName: 'now', input: {} }]);
  });

  it('maps tools, tool_choice and a JSON schema response format', () => {
    const parameters = { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] };
    const { request } = convert({
      ...user('x'),
      tools: [
        { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters, strict: true } },
        { type: 'function', function: { name: 'now' } },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', description: 'The answer', schema: { type: 'object' }, strict: true },
      },
    });
    expect(request.call.tools).toEqual([
      { type: 'function', name: 'get_weather', description: 'Weather', inputSchema: parameters, strict: true },
      { type: 'function', name: 'now', inputSchema: { type: 'object', properties: {} } },
    ]);
    expect(request.call.toolChoice).toEqual({ type: 'tool', toolName: 'get_weather' });
    expect(request.call.responseFormat).toEqual({
      type: 'json',
      name: 'answer',
      description: 'The answer',
      schema: { type: 'object' },
    });
    expect(request.call.providerOptions).toEqual({
      openai: { strictJsonSchema: true },
      openaiCompatible: { strictJsonSchema: true },
    });
  });

  it('maps tool_choice modes and json_object', () => {
    const tools = [{ type: 'function', function: { name: 'f' } }];
    for (const mode of ['none', 'auto', 'required'] as const) {
      expect(convert({ ...user('x'), tools, tool_choice: mode }).request.call.toolChoice).toEqual({ type: mode });
    }
    expect(convert({ ...user('x'), response_format: { type: 'json_object' } }).request.call.responseFormat).toEqual({ type: 'json' });
    expect(convert({ ...user('x'), response_format: { type: 'text' } }).request.call.responseFormat).toEqual({ type: 'text' });
  });

  it('drops tool_choice when there are no tools', () => {
    expect(convert({ ...user('x'), tool_choice: 'required' }).request.call.toolChoice).toBeUndefined();
  });

  it('maps sampling settings', () => {
    const { request } = convert({
      ...user('x'),
      temperature: 0.3,
      top_p: 0.8,
      top_k: 40,
      max_tokens: 50,
      stop: 'END',
      seed: 1,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
    });
    const { prompt: _prompt, ...settings } = request.call;
    expect(settings).toEqual({
      temperature: 0.3,
      topP: 0.8,
      topK: 40,
      maxOutputTokens: 50,
      stopSequences: ['END'],
      seed: 1,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
    });
  });

  it('prefers max_completion_tokens over max_tokens', () => {
    expect(convert({ ...user('x'), max_tokens: 10, max_completion_tokens: 20 }).request.call.maxOutputTokens).toBe(20);
  });

  it('reports streaming and usage only when streaming', () => {
    expect(convert({ ...user('x'), stream: true, stream_options: { include_usage: true } })).toMatchObject({
      stream: true,
      includeUsage: true,
    });
    expect(convert({ ...user('x'), stream: true })).toMatchObject({ stream: true, includeUsage: false });
    expect(convert({ ...user('x'), stream_options: { include_usage: true } })).toMatchObject({
      stream: false,
      includeUsage: false,
    });
  });

  it('puts OpenAI-only fields in provider options, client provider options winning', () => {
    const { request, user: endUser } = convert({
      ...user('x'),
      user: 'end-user-1',
      reasoning_effort: 'high',
      parallel_tool_calls: false,
      providerOptions: {
        openai: { reasoningEffort: 'low', serviceTier: 'flex' },
        anthropic: { thinking: { type: 'enabled', budgetTokens: 2048 } },
      },
    });
    expect(request.call.providerOptions).toEqual({
      openai: { parallelToolCalls: false, reasoningEffort: 'low', user: 'end-user-1', serviceTier: 'flex' },
      openaiCompatible: { reasoningEffort: 'high', user: 'end-user-1' },
      anthropic: { disableParallelToolUse: true, metadata: { userId: 'end-user-1' }, thinking: { type: 'enabled', budgetTokens: 2048 } },
    });
    expect(endUser).toBe('end-user-1');
  });

  it('asks Anthropic for one tool call at a time only when parallel_tool_calls is false', () => {
    expect(convert({ ...user('x'), parallel_tool_calls: false }).request.call.providerOptions?.anthropic).toEqual({ disableParallelToolUse: true });
    expect(convert({ ...user('x'), parallel_tool_calls: true }).request.call.providerOptions?.anthropic).toBeUndefined();
    const clientWins = convert({ ...user('x'), parallel_tool_calls: false, providerOptions: { anthropic: { disableParallelToolUse: false } } });
    expect(clientWins.request.call.providerOptions?.anthropic).toEqual({ disableParallelToolUse: false });
  });

  it('takes providerOptions.gateway as routing options, never upstream', () => {
    const converted = convert({
      ...user('x'),
      user: 'openai-user',
      providerOptions: {
        gateway: {
          models: ['anthropic/claude-sonnet-4-5'],
          order: ['azure', 'openai'],
          only: ['openai', 'azure'],
          user: 'gateway-user',
          tags: ['team:search'],
        },
      },
    });
    expect(converted.request.gateway).toEqual({
      models: ['anthropic/claude-sonnet-4-5'],
      order: ['azure', 'openai'],
      only: ['openai', 'azure'],
      user: 'gateway-user',
      tags: ['team:search'],
    });
    expect(converted.request.call.providerOptions).not.toHaveProperty('gateway');
    expect(converted.user).toBe('gateway-user');
  });
});

describe('convertChatRequest rejects', () => {
  it('n other than 1', () => {
    const error = rejection({ ...user('x'), n: 2 });
    expect(error.details.param).toBe('n');
    expect(error.message).toMatch(/Only one choice per request is supported/);
    expect(convert({ ...user('x'), n: 1 }).request.model).toBe(model);
  });

  it('a tool message without a matching earlier tool call', () => {
    const error = rejection({
      model,
      messages: [
        { role: 'user', content: 'x' },
        { role: 'tool', tool_call_id: 'call_missing', content: 'result' },
      ],
    });
    expect(error.details.param).toBe('messages[1].tool_call_id');
    expect(error.message).toMatch(/call_missing/);
  });

  it('a tool result that comes before its call', () => {
    const error = rejection({
      model,
      messages: [
        { role: 'tool', tool_call_id: 'c1', content: 'early' },
        { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      ],
    });
    expect(error.details.param).toBe('messages[0].tool_call_id');
  });

  it('tool call arguments that are not JSON', () => {
    const error = rejection({
      model,
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":' } }] },
      ],
    });
    expect(error.details.param).toBe('messages[1].tool_calls[0].function.arguments');
  });

  it('image URLs with other schemes, malformed URLs and non-image data', () => {
    const image = (url: string) => user([{ type: 'image_url', image_url: { url } }]);
    expect(rejection(image('ftp://example.com/a.png')).message).toMatch(/http, https or data, not 'ftp'/);
    expect(rejection(image('file:///etc/passwd')).details.param).toBe('messages[0].content[0].image_url.url');
    expect(rejection(image('not a url')).message).toMatch(/not a valid URL/);
    expect(rejection(image('data:image/png;base64')).message).toMatch(/malformed/);
    expect(rejection(image('data:application/pdf;base64,JVBERi0=')).message).toMatch(/must hold an image/);
  });

  it('files referenced by uploaded file id', () => {
    const error = rejection(user([{ type: 'file', file: { file_id: 'file-abc' } }]));
    expect(error.details.param).toBe('messages[0].content[0].file.file_data');
    expect(error.message).toMatch(/file ids are not supported/);
  });

  it('a tool_choice naming a tool that is not offered', () => {
    const error = rejection({
      ...user('x'),
      tools: [{ type: 'function', function: { name: 'a' } }],
      tool_choice: { type: 'function', function: { name: 'b' } },
    });
    expect(error.details.param).toBe('tool_choice.function.name');
  });
});
