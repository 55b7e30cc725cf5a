import { createAnthropic } from '@ai-sdk/anthropic';
import type { LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { convertCountTokensRequest, convertMessagesRequest } from '../../../src/faces/anthropic/convert-messages-request.js';
import { CreateMessageRequestSchema, type CreateMessageRequest } from '../../../src/faces/anthropic/messages-api.js';
import { parseRequestBody } from '../../../src/faces/openai/parse-request-body.js';

const parse = (body: unknown): CreateMessageRequest => parseRequestBody(CreateMessageRequestSchema, body);
const convert = (body: unknown) => convertMessagesRequest(parse(body));
const failure = (body: unknown): GatewayError => {
  try {
    convert(body);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected the conversion to fail');
};

/** What the AI SDK's Anthropic provider sends upstream for a converted call (the inverse mapping). */
async function resent(call: LanguageModelV3CallOptions): Promise<Record<string, unknown>> {
  let body: Record<string, unknown> = {};
  const provider = createAnthropic({
    apiKey: 'test',
    baseURL: 'http://anthropic.invalid/v1',
    fetch: async (_url, init) => {
      body = JSON.parse(String(init?.body)) as Record<string, unknown>;
      return new Response(
        JSON.stringify({
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [{ type: 'text', text: 'ok' }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      );
    },
  });
  await provider.messages('claude-sonnet-4-5').doGenerate(call);
  return body;
}

describe('convertMessagesRequest', () => {
  it('converts the basic request of the API reference', () => {
    const converted = convert({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello, world' }] });
    expect(converted).toEqual({
      request: {
        model: 'anthropic/claude-sonnet-4-5',
        call: { prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hello, world' }] }], maxOutputTokens: 1024 },
      },
      stream: false,
    });
  });

  it('maps sampling settings, stop sequences, stream, metadata.user_id and gateway options', () => {
    const converted = convert({
      model: 'openai/gpt-4o',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['END'],
      stream: true,
      metadata: { user_id: 'u-1' },
      providerOptions: { gateway: { models: ['anthropic/claude-sonnet-4-5'], tags: ['t'] }, anthropic: { effort: 'low' } },
    });
    expect(converted.stream).toBe(true);
    expect(converted.user).toBe('u-1');
    expect(converted.request.gateway).toEqual({ models: ['anthropic/claude-sonnet-4-5'], tags: ['t'] });
    expect(converted.request.call).toMatchObject({ temperature: 0.2, topP: 0.9, topK: 40, stopSequences: ['END'], maxOutputTokens: 10 });
    // The face's own Anthropic options and the client's merge; `gateway` never goes upstream.
    expect(converted.request.call.providerOptions).toEqual({ anthropic: { metadata: { userId: 'u-1' }, effort: 'low' } });
  });

  it('keeps one system message per system block, with its cache_control', () => {
    const { request } = convert({
      model: 'anthropic/claude-sonnet-4-5',
      max_tokens: 10,
      system: [{ type: 'text', text: 'stable', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'volatile' }],
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(request.call.prompt.slice(0, 2)).toEqual([
      { role: 'system', content: 'stable', providerOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } } },
      { role: 'system', content: 'volatile' },
    ]);
  });

  it('turns a tool round trip into tool-call and tool-result parts, splitting the user turn that carries the result', () => {
    const { request } = convert({
      model: 'anthropic/claude-sonnet-4-5',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'What is the weather in San Francisco?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me check.' },
            { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { location: 'San Francisco, CA' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 degrees', cache_control: { type: 'ephemeral' } },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
      ],
    });
    expect(request.call.prompt.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool-call', toolCallId: 'toolu_01A09q90qw90lq917835lq9', toolName: 'get_weather', input: { location: 'San Francisco, CA' } },
        ],
      },
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'toolu_01A09q90qw90lq917835lq9',
            toolName: 'get_weather',
            output: { type: 'text', value: '15 degrees' },
            providerOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } },
          },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }] },
    ]);
  });

  it('maps tool_result errors and block content', () => {
    const { request } = convert({
      model: 'a/b',
      max_tokens: 10,
      messages: [
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'shot', input: {} }, { type: 'tool_use', id: 't2', name: 'run', input: {} }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'here' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] },
            { type: 'tool_result', tool_use_id: 't2', content: 'ConnectionError: the weather service API is not available (HTTP 500)', is_error: true },
          ],
        },
      ],
    });
    expect(request.call.prompt[1]).toEqual({
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: 't1',
          toolName: 'shot',
          output: { type: 'content', value: [{ type: 'text', text: 'here' }, { type: 'image-data', data: 'AAAA', mediaType: 'image/png' }] },
        },
        { type: 'tool-result', toolCallId: 't2', toolName: 'run', output: { type: 'error-text', value: 'ConnectionError: the weather service API is not available (HTTP 500)' } },
      ],
    });
  });

  it('converts images (base64, url, data: url) and documents', () => {
    const { request } = convert({
      model: 'a/b',
      max_tokens: 10,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' }, cache_control: { type: 'ephemeral' } },
            { type: 'image', source: { type: 'url', url: 'https://upload.wikimedia.org/a.jpg' } },
            { type: 'image', source: { type: 'url', url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'Report', citations: { enabled: true } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' } },
          ],
        },
      ],
    });
    expect(request.call.prompt[0]!.content).toEqual([
      { type: 'file', mediaType: 'image/jpeg', data: '/9j/4AAQ', providerOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } } },
      { type: 'file', mediaType: 'image/*', data: new URL('https://upload.wikimedia.org/a.jpg') },
      { type: 'file', mediaType: 'image/png', data: 'iVBORw0KGgo=' },
      { type: 'file', mediaType: 'application/pdf', data: 'JVBERi0=', filename: 'Report', providerOptions: { anthropic: { title: 'Report', citations: { enabled: true } } } },
      { type: 'file', mediaType: 'text/plain', data: Buffer.from('plain words').toString('base64') },
    ]);
  });

  it('keeps thinking and redacted thinking of assistant turns with their signatures', () => {
    const { request } = convert({
      model: 'a/b',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'think' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Let me analyze this step by step...', signature: 'WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL....' },
            { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP...' },
            { type: 'text', text: 'Done.' },
          ],
        },
      ],
    });
    expect(request.call.prompt[1]!.content).toEqual([
      {
        type: 'reasoning',
        text: 'Let me analyze this step by step...',
        providerOptions: { anthropic: { signature: 'WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL....' } },
      },
      { type: 'reasoning', text: '', providerOptions: { anthropic: { redactedData: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP...' } } },
      { type: 'text', text: 'Done.' },
    ]);
  });

  it('passes extended thinking to the Anthropic provider and keeps max_tokens inclusive of its budget', () => {
    const { request } = convert({ model: 'a/b', max_tokens: 16000, thinking: { type: 'enabled', budget_tokens: 10000 }, messages: [{ role: 'user', content: 'x' }] });
    expect(request.call.maxOutputTokens).toBe(6000);
    expect(request.call.providerOptions).toEqual({ anthropic: { thinking: { type: 'enabled', budgetTokens: 10000 } } });
  });

  it('maps output_config.format to a JSON response format for any provider', () => {
    const schema = { type: 'object', properties: { name: { type: 'string' } } };
    const { request } = convert({ model: 'openai/gpt-4o', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], output_config: { format: { type: 'json_schema', schema } } });
    expect(request.call.responseFormat).toEqual({ type: 'json', schema });
  });

  it('maps tools and tool_choice, with disable_parallel_tool_use for the Anthropic provider', () => {
    const { request } = convert({
      model: 'a/b',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ name: 'get_weather', description: 'Get the weather', input_schema: { type: 'object', properties: { location: { type: 'string' } } }, cache_control: { type: 'ephemeral' } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    });
    expect(request.call.tools).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: 'Get the weather',
        inputSchema: { type: 'object', properties: { location: { type: 'string' } } },
        providerOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } },
      },
    ]);
    expect(request.call.toolChoice).toEqual({ type: 'required' });
    expect(request.call.providerOptions).toEqual({ anthropic: { disableParallelToolUse: true } });
  });

  it('refuses what Anthropic refuses, naming the field', () => {
    expect(failure({ model: 'a/b', messages: [{ role: 'user', content: 'x' }] })).toMatchObject({ kind: 'invalid_request', details: { param: 'max_tokens' } });
    expect(failure({ model: 'a/b', max_tokens: 100, thinking: { type: 'enabled', budget_tokens: 100 }, messages: [{ role: 'user', content: 'x' }] })).toMatchObject({
      details: { param: 'thinking.budget_tokens' },
    });
    expect(failure({ model: 'a/b', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'nope', content: 'x' }] }] })).toMatchObject({
      details: { param: 'messages[0].content[0].tool_use_id' },
    });
    expect(failure({ model: 'a/b', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'x', name: 'y', input: {} }] }] })).toMatchObject({
      details: { param: 'messages[0].content[0].type' },
    });
    expect(failure({ model: 'a/b', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'file:///etc/passwd' } }] }] })).toMatchObject({
      details: { param: 'messages[0].content[0].source.url' },
    });
    expect(failure({ model: 'a/b', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'code_execution_20250522', name: 'code_execution' }] })).toMatchObject({
      message: expect.stringMatching(/server tool 'code_execution_20250522' is not supported/),
      details: { param: 'tools[0].type' },
    });
  });

  it('turns web search into the Anthropic provider tool of the same version, its settings renamed', () => {
    const { request } = convert({
      model: 'a/b',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'x' }],
      tools: [
        { type: 'web_search_20250305', name: 'web_search', max_uses: 2, blocked_domains: ['spam.example'], user_location: { type: 'approximate', city: 'Paris', region: null } },
        { type: 'web_search_20260209', name: 'web_search' },
      ],
      tool_choice: { type: 'tool', name: 'web_search' },
    });
    expect(request.call.tools).toEqual([
      { type: 'provider', id: 'anthropic.web_search_20250305', name: 'web_search', args: { maxUses: 2, blockedDomains: ['spam.example'], userLocation: { type: 'approximate', city: 'Paris' } } },
      { type: 'provider', id: 'anthropic.web_search_20260209', name: 'web_search', args: {} },
    ]);
    expect(request.call.toolChoice).toEqual({ type: 'tool', toolName: 'web_search' });
  });

  it('ignores fields it does not read', () => {
    expect(() => convert({ model: 'a/b', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], service_tier: 'auto', container: null })).not.toThrow();
  });
});

describe('the inverse of the AI SDK Anthropic provider', () => {
  it('resends the request the client wrote, cache_control and thinking included', async () => {
    const body = {
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      system: [
        { type: 'text', text: 'You are an AI assistant tasked with analyzing literary works.' },
        { type: 'text', text: '<the entire contents of Pride and Prejudice>', cache_control: { type: 'ephemeral' } },
      ],
      tools: [
        { name: 'get_weather', description: 'Get the current weather', input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] }, cache_control: { type: 'ephemeral' } },
      ],
      tool_choice: { type: 'auto' },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Analyze the major themes', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Weather first.', signature: 'sig-1' },
            { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { location: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_01', content: '21C', cache_control: { type: 'ephemeral' } },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'text', text: 'Continue.' },
          ],
        },
      ],
      thinking: { type: 'enabled', budget_tokens: 1024 },
      stop_sequences: ['END'],
      cache_control: { type: 'ephemeral' },
      output_config: { effort: 'medium' },
      metadata: { user_id: 'u-1' },
    };
    const sent = await resent(convert({ ...body, model: 'anthropic/claude-sonnet-4-5' }).request.call);
    expect(sent).toMatchObject({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      system: body.system,
      thinking: body.thinking,
      stop_sequences: ['END'],
      tool_choice: { type: 'auto' },
      cache_control: { type: 'ephemeral' },
      output_config: { effort: 'medium' },
      metadata: { user_id: 'u-1' },
      messages: body.messages,
    });
    expect(sent.tools).toEqual([expect.objectContaining(body.tools[0])]);
  });

  it('adds no cache_control where the client put none', async () => {
    const sent = await resent(
      convert({
        model: 'a/b',
        max_tokens: 10,
        system: 'plain',
        tools: [{ name: 't', input_schema: { type: 'object' } }],
        messages: [{ role: 'user', content: 'hello' }],
      }).request.call,
    );
    expect(JSON.stringify(sent)).not.toContain('cache_control');
  });
});

describe('convertCountTokensRequest', () => {
  it('converts the prompt and tools without max_tokens', () => {
    expect(convertCountTokensRequest({ model: 'a/b', messages: [{ role: 'user', content: 'hi' }], system: 'sys', tools: [{ type: 'custom', name: 't', input_schema: {} }] })).toEqual({
      prompt: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      ],
      tools: [{ type: 'function', name: 't', inputSchema: {} }],
    });
  });
});
