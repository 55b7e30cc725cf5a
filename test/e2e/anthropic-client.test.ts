import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { eventually, startGateway, type TestGateway, nanos, fallbackTo } from '../support/gateway.js';

/**
 * The Anthropic Messages face driven by the unmodified `@anthropic-ai/sdk` client, against
 * loopback upstreams that speak OpenAI's, Anthropic's and Gemini's real wire formats.
 */
let upstream: StartedUpstream;
let gateway: TestGateway;
let client: Anthropic;

const CLAUDE_PRICE = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };
const MINI_PRICE = { input: 0.15, output: 0.6, cacheRead: 0.075 };

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway({
    routing: { retries: 1, backoffMs: 1, maxBackoffMs: 50 },
    providers: {
      up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key', models: { 'gpt-4o-mini': { pricing: MINI_PRICE } } },
      claude: { kind: 'anthropic', baseURL: upstream.url, apiKey: 'claude-key', models: { 'claude-sonnet-4-5': { pricing: CLAUDE_PRICE } } },
      gem: { kind: 'google', baseURL: `${upstream.url}/v1beta`, apiKey: 'gem-key', models: { 'gemini-2.5-flash': { pricing: { input: 0.3, output: 2.5 } } } },
    },
  });
  // The SDK appends /v1/messages itself: the base URL is the gateway's root.
  client = new Anthropic({ baseURL: gateway.url, apiKey: 'unused-for-now', maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

beforeEach(() => upstream.reset());

const weather: Anthropic.Tool[] = [
  { name: 'get_weather', description: 'Weather in a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
];
type Extras = { usage: { cost: number | null }; provider: string };
const upstreamBody = () => upstream.requests.at(-1)!.body as Record<string, unknown>;
const latestRow = async () => (await gateway.ledger.requests()).at(-1)!;

/** Every event type the SDK yields for a raw stream, in order. */
async function eventTypes(stream: AsyncIterable<Anthropic.RawMessageStreamEvent>): Promise<{ types: string[]; events: Anthropic.RawMessageStreamEvent[] }> {
  const events: Anthropic.RawMessageStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return { types: events.map((event) => event.type), events };
}

describe.each([
  { name: 'OpenAI-compatible', model: 'up/gpt-4o-mini', path: '/v1/chat/completions' },
  { name: 'Anthropic', model: 'claude/claude-sonnet-4-5', path: '/v1/messages' },
  { name: 'Gemini', model: 'gem/gemini-2.5-flash', path: '/v1beta/models/gemini-2.5-flash:generateContent' },
])('$name upstream', ({ model, path }) => {
  it('answers a message with usage, cost, provider and the served headers', async () => {
    const { data: message, response } = await client.messages
      .create({ model, max_tokens: 64, system: 'be brief', messages: [{ role: 'user', content: 'hello gateway' }] })
      .withResponse();
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text: 'Echo: hello gateway' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    expect(message.id).toBe(`msg_${response.headers.get('x-request-id')}`);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect((message as unknown as Extras).usage.cost).toBeGreaterThan(0);
    expect((message as unknown as Extras).provider).toBe(model.split('/')[0]);
    expect(response.headers.get('x-tollgate-model')).toBe(model);
    expect(response.headers.get('x-tollgate-attempts')).toBe('1');
    expect(upstream.requests.at(-1)!.path).toBe(path);

    expect(await latestRow()).toMatchObject({ face: 'anthropic', requestedModel: model, servedModel: model, status: 'ok', stream: false, attempts: 1 });
  });

  it('streams the exact Anthropic event sequence, with real usage at the end', async () => {
    const stream = await client.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'stream these words please' }], stream: true });
    const { types, events } = await eventTypes(stream);
    // The SDK drops pings; everything else arrives in Anthropic's order.
    expect(types[0]).toBe('message_start');
    expect(types[1]).toBe('content_block_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(types.filter((type) => type === 'content_block_start')).toHaveLength(1);
    const text = events.map((event) => (event.type === 'content_block_delta' && event.delta.type === 'text_delta' ? event.delta.text : '')).join('');
    expect(text).toBe('Echo: stream these words please');
    expect(events.filter((event) => event.type === 'content_block_delta').length).toBeGreaterThan(2);

    const delta = events.at(-2) as Anthropic.RawMessageDeltaEvent;
    expect(delta.delta.stop_reason).toBe('end_turn');
    const row = await eventually(async () => {
      const last = await latestRow();
      expect(last).toMatchObject({ stream: true, status: 'ok', face: 'anthropic' });
      return last;
    });
    expect(delta.usage.output_tokens).toBe(row.usage.output);
    expect(delta.usage.input_tokens).toBe(row.usage.input - row.usage.cacheRead - row.usage.cacheWrite);
    expect((delta.usage as unknown as { cost: number }).cost).toBeCloseTo(row.costNanos! / 1e9, 9);
  });

  it('runs a tool round trip: tool_use, then tool_result, then the answer', async () => {
    const first = await client.messages.create({ model, max_tokens: 64, tools: weather, messages: [{ role: 'user', content: 'use the tool' }] });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use')!;
    expect(call).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
    expect(call.id).toBeTruthy();

    const second = await client.messages.create({
      model,
      max_tokens: 64,
      tools: weather,
      messages: [
        { role: 'user', content: 'use the tool' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny, 21C' }] },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'Tool said: sunny, 21C' }]);
    expect(second.stop_reason).toBe('end_turn');
  });

  it('streams a tool call as input_json_delta events the SDK assembles', async () => {
    const stream = client.messages.stream({ model, max_tokens: 64, tools: weather, messages: [{ role: 'user', content: 'call the tool' }] });
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content.find((block) => block.type === 'tool_use')).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
  });
});

describe('Anthropic upstream: fidelity', () => {
  const model = 'claude/claude-sonnet-4-5';

  it('sends the request as the client wrote it: system blocks, stop sequences, metadata, thinking, top-level cache_control, effort', async () => {
    await client.messages.create({
      model,
      max_tokens: 3000,
      system: [{ type: 'text', text: 'first rule' }, { type: 'text', text: 'second rule' }],
      messages: [{ role: 'user', content: 'hi' }],
      stop_sequences: ['END'],
      metadata: { user_id: 'user-42' },
      thinking: { type: 'enabled', budget_tokens: 1024 },
      cache_control: { type: 'ephemeral' },
      output_config: { effort: 'low' },
    });
    expect(upstreamBody()).toMatchObject({
      model: 'claude-sonnet-4-5',
      max_tokens: 3000,
      system: [{ type: 'text', text: 'first rule' }, { type: 'text', text: 'second rule' }],
      stop_sequences: ['END'],
      metadata: { user_id: 'user-42' },
      thinking: { type: 'enabled', budget_tokens: 1024 },
      cache_control: { type: 'ephemeral' },
      output_config: { effort: 'low' },
    });
    // metadata.user_id attributes the request.
    expect((await latestRow()).user).toBe('user-42');
  });

  it('preserves cache_control on system, tools, message blocks and tool results, and never adds any', async () => {
    const ephemeral = { type: 'ephemeral' as const };
    const first = await client.messages.create({
      model,
      max_tokens: 64,
      system: [{ type: 'text', text: 'long stable instructions', cache_control: ephemeral }, { type: 'text', text: 'volatile' }],
      tools: [{ ...weather[0]!, cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'cached context', cache_control: ephemeral }, { type: 'text', text: 'use the tool' }] },
      ],
    });
    const sent = upstreamBody() as {
      system: Array<Record<string, unknown>>;
      tools: Array<Record<string, unknown>>;
      messages: Array<{ content: Array<Record<string, unknown>> }>;
    };
    expect(sent.system[0]).toEqual({ type: 'text', text: 'long stable instructions', cache_control: { type: 'ephemeral' } });
    expect(sent.system[1]).not.toHaveProperty('cache_control');
    expect(sent.tools[0]).toMatchObject({ name: 'get_weather', cache_control: { type: 'ephemeral', ttl: '1h' } });
    expect(sent.messages[0]!.content[0]).toEqual({ type: 'text', text: 'cached context', cache_control: { type: 'ephemeral' } });
    expect(sent.messages[0]!.content[1]).not.toHaveProperty('cache_control');

    const call = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use')!;
    await client.messages.create({
      model,
      max_tokens: 64,
      tools: weather,
      messages: [
        { role: 'user', content: 'use the tool' },
        { role: 'assistant', content: [call] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny', cache_control: ephemeral }] },
      ],
    });
    const second = upstreamBody() as { tools: Array<Record<string, unknown>>; messages: Array<{ content: Array<Record<string, unknown>> }> };
    expect(second.messages[2]!.content[0]).toEqual({ type: 'tool_result', tool_use_id: call.id, content: 'sunny', cache_control: { type: 'ephemeral' } });
    expect(JSON.stringify(second.tools)).not.toContain('cache_control');
    expect(JSON.stringify(second.messages.slice(0, 2))).not.toContain('cache_control');
  });

  it('reports Anthropic usage buckets: input_tokens excludes cache reads and writes, the ledger counts them all', async () => {
    upstream.script('claude-sonnet-4-5', { kind: 'usage', usage: { inputTokens: 1000, cachedInputTokens: 600, cacheWriteTokens: 300, outputTokens: 50 } });
    const message = await client.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'cached please' }] });
    expect(message.usage).toMatchObject({ input_tokens: 100, cache_read_input_tokens: 600, cache_creation_input_tokens: 300, output_tokens: 50 });
    const cost = (100 * CLAUDE_PRICE.input + 600 * CLAUDE_PRICE.cacheRead + 300 * CLAUDE_PRICE.cacheWrite + 50 * CLAUDE_PRICE.output) / 1e6;
    expect((message as unknown as Extras).usage.cost).toBeCloseTo(cost, 12);
    expect(await latestRow()).toMatchObject({
      face: 'anthropic',
      usage: { input: 1000, cacheRead: 600, cacheWrite: 300, output: 50 },
      costNanos: nanos(cost),
    });
  });

  it('streams real usage: message_start carries the upstream input count, message_delta the whole usage', async () => {
    upstream.script('claude-sonnet-4-5', { kind: 'usage', usage: { inputTokens: 1000, cachedInputTokens: 600, cacheWriteTokens: 300, outputTokens: 7 } });
    const stream = client.messages.stream({ model, max_tokens: 64, messages: [{ role: 'user', content: 'cached stream' }] });
    let start: Anthropic.RawMessageStartEvent | undefined;
    let delta: Anthropic.RawMessageDeltaEvent | undefined;
    stream.on('streamEvent', (event) => {
      if (event.type === 'message_start') start = event;
      if (event.type === 'message_delta') delta = event;
    });
    const message = await stream.finalMessage();
    expect(start!.message.usage).toMatchObject({ input_tokens: 100, cache_read_input_tokens: 600, cache_creation_input_tokens: 300 });
    expect(delta!.usage).toMatchObject({ input_tokens: 100, cache_read_input_tokens: 600, cache_creation_input_tokens: 300, output_tokens: 7 });
    expect(message.usage).toMatchObject({ input_tokens: 100, cache_read_input_tokens: 600, cache_creation_input_tokens: 300, output_tokens: 7 });
    const row = await eventually(async () => {
      const last = await latestRow();
      expect(last.stream).toBe(true);
      return last;
    });
    expect(row).toMatchObject({ usage: { input: 1000, cacheRead: 600, cacheWrite: 300, output: 7 } });
  });

  it('maps a matched stop sequence to stop_reason stop_sequence, streaming and not', async () => {
    upstream.script('claude-sonnet-4-5', { kind: 'text', text: 'one two', finishReason: 'stop_sequence' });
    const message = await client.messages.create({ model, max_tokens: 64, stop_sequences: ['three'], messages: [{ role: 'user', content: 'count' }] });
    expect(message).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'three' });
    const streamed = await client.messages.stream({ model, max_tokens: 64, stop_sequences: ['three', 'four'], messages: [{ role: 'user', content: 'count' }] }).finalMessage();
    expect(streamed).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'three' });
  });

  it('sends an image (base64 and data: URL) as a base64 image source', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    await client.messages.create({
      model,
      max_tokens: 64,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
            { type: 'image', source: { type: 'url', url: `data:image/png;base64,${png}` } },
          ],
        },
      ],
    });
    const sent = upstreamBody() as { messages: Array<{ content: unknown[] }> };
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } };
    expect(sent.messages[0]!.content.slice(1)).toEqual([image, image]);
  });
});

describe('images to other upstreams', () => {
  it('sends an image to an OpenAI-compatible upstream as an image_url part', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const message = await client.messages.create({
      model: 'up/gpt-4o-mini',
      max_tokens: 64,
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }, { type: 'text', text: 'describe' }] }],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'Echo: describe' }]);
    const sent = upstreamBody() as { messages: Array<{ content: Array<Record<string, unknown>> }> };
    expect(sent.messages[0]!.content[0]).toEqual({ type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } });
  });
});

describe('routing and errors', () => {
  it('falls back from a model that keeps answering 503 to the next one, recording every attempt', async () => {
    upstream.script('primary', { kind: 'error', status: 503 });
    const message = await client.messages.create({
      model: 'up/primary',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'fall back please' }],
      ...fallbackTo(['claude/claude-sonnet-4-5']),
    });
    expect(message.content).toEqual([{ type: 'text', text: 'Echo: fall back please' }]);
    expect(message.model).toBe('claude/claude-sonnet-4-5');
    const row = await latestRow();
    expect(row).toMatchObject({ face: 'anthropic', requestedModel: 'up/primary', servedModel: 'claude/claude-sonnet-4-5', attempts: 3, status: 'ok' });
    expect(await gateway.ledger.attempts(row.id)).toMatchObject([
      { seq: 1, model: 'up/primary', status: 'error', errorKind: 'upstream_overloaded', upstreamStatus: 503 },
      { seq: 2, model: 'up/primary', status: 'error', errorKind: 'upstream_overloaded' },
      { seq: 3, model: 'claude/claude-sonnet-4-5', status: 'ok' },
    ]);
  });

  it('falls back when a stream fails before its first token', async () => {
    upstream.script('cutearly', { kind: 'cut', afterEvents: 0 });
    const message = await client.messages
      .stream({ model: 'up/cutearly', max_tokens: 64, messages: [{ role: 'user', content: 'cut early' }], ...fallbackTo(['gem/gemini-2.5-flash']) })
      .finalMessage();
    expect(message.content).toEqual([{ type: 'text', text: 'Echo: cut early' }]);
    expect(message.model).toBe('gem/gemini-2.5-flash');
  });

  it('ends a stream that fails after its first token with an in-band error event and no message_stop', async () => {
    upstream.script('claude-sonnet-4-5', { kind: 'streamError', afterEvents: 2, text: 'one two three four five six' });
    const stream = await client.messages.create({ model: 'claude/claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'break' }], stream: true });
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const event of stream) seen.push(event.type);
    })().catch((caught: unknown) => caught);
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    expect((failure as InstanceType<typeof Anthropic.APIError>).type).toBe('api_error');
    expect((failure as InstanceType<typeof Anthropic.APIError>).errorCode).toBe('stream_interrupted');
    expect(seen[0]).toBe('message_start');
    expect(seen).toContain('content_block_delta');
    expect(seen).not.toContain('message_stop');
    const row = await eventually(async () => {
      const last = await latestRow();
      expect(last.status).toBe('error');
      return last;
    });
    expect(row).toMatchObject({ face: 'anthropic', errorKind: 'stream_interrupted', servedModel: 'claude/claude-sonnet-4-5' });
  });

  it('returns an upstream 400 in Anthropic shape, raised by the SDK as BadRequestError', async () => {
    upstream.script('bad', { kind: 'error', status: 400 });
    const error = await client.messages.create({ model: 'up/bad', max_tokens: 64, messages: [{ role: 'user', content: 'bad' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    const apiError = error as InstanceType<typeof Anthropic.BadRequestError>;
    expect(apiError.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', details: { error_code: 'upstream_bad_request' } } });
    expect(apiError.requestID).toBe((await latestRow()).id);
    expect(await latestRow()).toMatchObject({ face: 'anthropic', status: 'error', errorKind: 'upstream_bad_request' });
  });

  it('rejects a request without max_tokens as Anthropic does, naming the field', async () => {
    const error = await client.messages
      .create({ model: 'claude/claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      error: { type: 'invalid_request_error', message: "Missing required parameter: 'max_tokens'.", details: { param: 'max_tokens' } },
    });
  });

  it('answers an unknown provider with not_found_error (NotFoundError)', async () => {
    const error = await client.messages.create({ model: 'nope/model', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('not_found_error');
  });
});

describe('on the wire', () => {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers }, body: JSON.stringify(body) });

  it('frames every event as `event:` plus `data:`, with a ping after the first block opens', async () => {
    const response = await post('/v1/messages', { model: 'claude/claude-sonnet-4-5', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'two words' }] });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-tollgate-provider')).toBe('claude');
    const text = await response.text();
    const frames = text.split('\n\n').filter(Boolean);
    const names = frames.map((frame) => /^event: (\w+)\ndata: \{"type":"(\w+)"/.exec(frame)?.slice(1));
    expect(names.every((pair) => pair && pair[0] === pair[1])).toBe(true);
    expect(names.map((pair) => pair![0]).slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(names.at(-1)![0]).toBe('message_stop');
  });

  it('refuses a malformed anthropic-version and accepts a missing one', async () => {
    const bad = await post('/v1/messages', { model: 'claude/claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': 'yesterday' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', details: { param: 'anthropic-version' } } });
    const missing = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude/claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(missing.status).toBe(200);
  });

});

describe('count_tokens', () => {
  it('estimates the input tokens of a request, tools included', async () => {
    const bare = await client.messages.countTokens({ model: 'claude/claude-sonnet-4-5', messages: [{ role: 'user', content: 'hello there, how are you today?' }] });
    expect(bare.input_tokens).toBeGreaterThan(0);
    const withTools = await client.messages.countTokens({ model: 'claude/claude-sonnet-4-5', tools: weather, messages: [{ role: 'user', content: 'hello there, how are you today?' }] });
    expect(withTools.input_tokens).toBeGreaterThan(bare.input_tokens);
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('auth', () => {
  it('takes a virtual key in x-api-key and answers a bad one with authentication_error', async () => {
    const authed = await startGateway({ providers: { claude: { kind: 'anthropic', baseURL: upstream.url, apiKey: 'claude-key' } } }, { env: { TOLLGATE_ADMIN_KEY: 'admin-secret-key' } });
    try {
      const good = new Anthropic({ baseURL: authed.url, apiKey: 'admin-secret-key', maxRetries: 0 });
      const message = await good.messages.create({ model: 'claude/claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
      expect(message.content).toEqual([{ type: 'text', text: 'Echo: hi' }]);
      const response = await fetch(`${authed.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': 'admin-secret-key', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude/claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status).toBe(200);
      const bad = new Anthropic({ baseURL: authed.url, apiKey: 'wrong', maxRetries: 0 });
      const error = await bad.messages.create({ model: 'claude/claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
      expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('authentication_error');
    } finally {
      await authed.close();
    }
  });
});
