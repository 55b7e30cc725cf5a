import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { eventually, startGateway, type TestGateway, nanos, fallbackTo } from '../support/gateway.js';

/**
 * The OpenAI-compatible face driven by the official `openai` client, against loopback upstreams
 * that speak OpenAI's, Anthropic's and Gemini's real wire formats.
 */
let upstream: StartedUpstream;
let gateway: TestGateway;
let client: OpenAI;

// Config prices in USD per million tokens.
const PRICE = { input: 0.15, output: 0.6, cacheRead: 0.075 };

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway({
    routing: { retries: 1, backoffMs: 1, maxBackoffMs: 50 },
    providers: {
      up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key', models: { 'gpt-4o-mini': { pricing: PRICE } } },
      claude: { kind: 'anthropic', baseURL: upstream.url, apiKey: 'claude-key', models: { 'claude-sonnet-4-5': { pricing: { input: 3, output: 15 } } } },
      gem: { kind: 'google', baseURL: `${upstream.url}/v1beta`, apiKey: 'gem-key', models: { 'gemini-2.5-flash': { pricing: { input: 0.3, output: 2.5 } } } },
      slow: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'slow-key', timeoutMs: 300 },
    },
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused-for-now', maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

beforeEach(() => upstream.reset());

const weather = [
  {
    type: 'function' as const,
    function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
];

describe('OpenAI-compatible upstream (passthrough)', () => {
  it('answers, reports usage.cost from the configured price and writes matching ledger rows', async () => {
    upstream.script('gpt-4o-mini', { kind: 'usage', usage: { inputTokens: 1000, cachedInputTokens: 200, outputTokens: 500 } });
    const completion = await client.chat.completions.create({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'hello gateway' }] });

    expect(completion.choices[0]!.message.content).toBe('Echo: hello gateway');
    const expectedCost = (800 * PRICE.input + 200 * PRICE.cacheRead + 500 * PRICE.output) / 1e6;
    const usage = completion.usage as OpenAI.CompletionUsage & { cost: number };
    expect(usage.prompt_tokens).toBe(1000);
    expect(usage.cost).toBeCloseTo(expectedCost, 12);
    expect((completion as unknown as { provider: string }).provider).toBe('up');

    // The upstream saw its own model id and our key for it, not the client's.
    const seen = upstream.requests.at(-1)!;
    expect(seen.body).toMatchObject({ model: 'gpt-4o-mini' });
    expect(seen.headers.authorization).toBe('Bearer up-key');

    const row = (await gateway.ledger.requests()).at(-1)!;
    expect(row).toMatchObject({
      face: 'openai',
      requestedModel: 'up/gpt-4o-mini',
      servedModel: 'up/gpt-4o-mini',
      provider: 'up',
      status: 'ok',
      attempts: 1,
      usage: { input: 1000, cacheRead: 200, output: 500 },
      costNanos: nanos(expectedCost),
    });
    expect(await gateway.ledger.attempts(row.id)).toMatchObject([{ seq: 1, status: 'ok', costNanos: nanos(expectedCost) }]);
  });

  it('streams every chunk, then usage with cost, then [DONE]', async () => {
    upstream.script('gpt-4o-mini', { kind: 'usage', usage: { inputTokens: 40, outputTokens: 4 } });
    const stream = await client.chat.completions.create({
      model: 'up/gpt-4o-mini',
      messages: [{ role: 'user', content: 'stream these words' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: (OpenAI.CompletionUsage & { cost?: number }) | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Echo: stream these words');
    expect(chunks).toBeGreaterThan(4);
    expect(usage?.completion_tokens).toBe(4);
    expect(usage?.cost).toBeCloseTo((40 * PRICE.input + 4 * PRICE.output) / 1e6, 12);
    const row = await eventually(async () => {
      const last = (await gateway.ledger.requests()).at(-1)!;
      expect(last.stream).toBe(true);
      return last;
    });
    expect(row).toMatchObject({ status: 'ok', usage: { input: 40, output: 4 } });
    expect(row.ttftMs).toBeGreaterThan(0);
  });

  it('asks the upstream for usage but leaves the usage chunk out when the client did not ask', async () => {
    const stream = await client.chat.completions.create({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'no usage please' }], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.choices.length === 1)).toBe(true);
    expect(upstream.requests.at(-1)!.body).toMatchObject({ stream_options: { include_usage: true } });
    const row = await eventually(async () => {
      const last = (await gateway.ledger.requests()).at(-1)!;
      expect(last.usage.output).toBeGreaterThan(0);
      return last;
    });
    expect(row.costNanos).toBeGreaterThan(0);
  });

  it('passes tool calls through', async () => {
    const completion = await client.chat.completions.create({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'use the tool' }], tools: weather });
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
  });
});

describe('cross-format: OpenAI face to Anthropic and Gemini upstreams', () => {
  it('translates a request to Anthropic Messages and the answer back', async () => {
    upstream.script('claude-sonnet-4-5', { kind: 'usage', usage: { inputTokens: 100, outputTokens: 10 } });
    const completion = await client.chat.completions.create({
      model: 'claude/claude-sonnet-4-5',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi claude' },
      ],
      max_tokens: 64,
    });
    expect(completion.choices[0]!.message.content).toBe('Echo: hi claude');
    expect(completion.model).toBe('claude/claude-sonnet-4-5');
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe('claude-key');
    expect(sent.body).toMatchObject({ model: 'claude-sonnet-4-5', system: [{ type: 'text', text: 'be brief' }], max_tokens: 64 });
    const usage = completion.usage as OpenAI.CompletionUsage & { cost: number };
    expect(usage.prompt_tokens).toBe(100);
    expect(usage.cost).toBeCloseTo((100 * 3 + 10 * 15) / 1e6, 12);
    expect((await gateway.ledger.requests()).at(-1)).toMatchObject({ provider: 'claude', usage: { input: 100, output: 10 }, costNanos: nanos((100 * 3 + 10 * 15) / 1e6) });
  });

  it('turns an Anthropic tool_use into an OpenAI tool call, and the tool result back into a tool_result', async () => {
    const first = await client.chat.completions.create({ model: 'claude/claude-sonnet-4-5', messages: [{ role: 'user', content: 'call the tool' }], tools: weather });
    const message = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const call = message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    const second = await client.chat.completions.create({
      model: 'claude/claude-sonnet-4-5',
      tools: weather,
      messages: [
        { role: 'user', content: 'call the tool' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21C' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('Tool said: sunny, 21C');
    const sent = upstream.requests.at(-1)!.body as { messages: Array<{ role: string; content: Array<{ type: string; tool_use_id?: string }> }> };
    expect(sent.messages[2]!.content[0]).toMatchObject({ type: 'tool_result', tool_use_id: call.id });
  });

  it('streams an Anthropic tool call as OpenAI tool_calls deltas', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude/claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'call the tool' }],
      tools: weather,
      stream: true,
      stream_options: { include_usage: true },
    });
    let args = '';
    let name: string | undefined;
    let id: string | undefined;
    let finish: string | null = null;
    let cost: number | undefined;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        expect(delta.index).toBe(0);
        id ??= delta.id;
        name ??= delta.function?.name;
        args += delta.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
      cost = (chunk.usage as { cost?: number } | undefined)?.cost ?? cost;
    }
    expect(name).toBe('get_weather');
    expect(id).toBeTruthy();
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });
    expect(finish).toBe('tool_calls');
    expect(cost).toBeGreaterThan(0);
  });

  it('translates to Gemini, streaming and not', async () => {
    const completion = await client.chat.completions.create({ model: 'gem/gemini-2.5-flash', messages: [{ role: 'user', content: 'hi gemini' }] });
    expect(completion.choices[0]!.message.content).toBe('Echo: hi gemini');
    expect(upstream.requests.at(-1)!.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');

    const stream = await client.chat.completions.create({ model: 'gem/gemini-2.5-flash', messages: [{ role: 'user', content: 'stream gemini' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Echo: stream gemini');
    expect(upstream.requests.at(-1)!.query).toBe('alt=sse');
  });

  it('sends an image part to Anthropic as a base64 image source', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    await client.chat.completions.create({
      model: 'claude/claude-sonnet-4-5',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }],
    });
    const sent = upstream.requests.at(-1)!.body as { messages: Array<{ content: unknown[] }> };
    expect(sent.messages[0]!.content).toContainEqual(expect.objectContaining({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }));
  });
});

describe('routing: retries and fallback', () => {
  it('falls back from a model that keeps answering 503 to the next one, recording every attempt', async () => {
    upstream.script('primary', { kind: 'error', status: 503 });
    const completion = await client.chat.completions.create({
      model: 'up/primary',
      messages: [{ role: 'user', content: 'fall back please' }],
      ...fallbackTo(['claude/claude-sonnet-4-5']),
    });
    expect(completion.choices[0]!.message.content).toBe('Echo: fall back please');
    expect((completion as unknown as { model: string }).model).toBe('claude/claude-sonnet-4-5');
    const row = (await gateway.ledger.requests()).at(-1)!;
    // 503 is retryable: the primary is tried 1 + routing.retries times before the fallback.
    expect(row).toMatchObject({ requestedModel: 'up/primary', servedModel: 'claude/claude-sonnet-4-5', attempts: 3, status: 'ok' });
    expect(await gateway.ledger.attempts(row.id)).toMatchObject([
      { seq: 1, model: 'up/primary', status: 'error', errorKind: 'upstream_overloaded', upstreamStatus: 503, costNanos: null },
      { seq: 2, model: 'up/primary', status: 'error', errorKind: 'upstream_overloaded' },
      { seq: 3, model: 'claude/claude-sonnet-4-5', status: 'ok' },
    ]);
  });

  it('does not retry or fall back on a 400: the client gets it in OpenAI shape', async () => {
    upstream.script('bad', { kind: 'error', status: 400 });
    const error = await client.chat.completions
      .create({
        model: 'up/bad',
        messages: [{ role: 'user', content: 'bad request' }],
        ...fallbackTo(['claude/claude-sonnet-4-5']),
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_bad_request');
    expect(upstream.requests.filter((request) => request.model === 'bad')).toHaveLength(1);
    expect(upstream.requests.some((request) => request.path === '/v1/messages')).toBe(false);
    expect((await gateway.ledger.requests()).at(-1)).toMatchObject({ status: 'error', errorKind: 'upstream_bad_request', attempts: 1 });
  });

  it('falls back when a provider does not answer within its timeout', async () => {
    upstream.script('stuck', { kind: 'hang' });
    const completion = await client.chat.completions.create({
      model: 'slow/stuck',
      messages: [{ role: 'user', content: 'too slow' }],
      ...fallbackTo(['up/gpt-4o-mini']),
    });
    expect(completion.choices[0]!.message.content).toBe('Echo: too slow');
    const row = (await gateway.ledger.requests()).at(-1)!;
    expect((await gateway.ledger.attempts(row.id)).map((attempt) => attempt.errorKind)).toEqual(['upstream_timeout', null]);
  });

  it('falls back when a stream is cut before its first token', async () => {
    upstream.script('cutearly', { kind: 'cut', afterEvents: 0 });
    const stream = await client.chat.completions.create({
      model: 'up/cutearly',
      messages: [{ role: 'user', content: 'cut early' }],
      stream: true,
      ...fallbackTo(['gem/gemini-2.5-flash']),
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Echo: cut early');
    const row = await eventually(async () => {
      const last = (await gateway.ledger.requests()).at(-1)!;
      expect(last.servedModel).toBe('gem/gemini-2.5-flash');
      return last;
    });
    expect((await gateway.ledger.attempts(row.id))[0]).toMatchObject({ model: 'up/cutearly', status: 'error' });
  });

  it('ends a stream cut after its first token with an error, never a clean finish, and bills what streamed', async () => {
    upstream.script('cutlate', { kind: 'cut', afterEvents: 2, text: 'one two three four five six' });
    const stream = await client.chat.completions.create({
      model: 'up/cutlate',
      messages: [{ role: 'user', content: 'cut late' }],
      stream: true,
      ...fallbackTo(['gem/gemini-2.5-flash']),
    });
    let text = '';
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((caught: unknown) => caught);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(String((failure as Error).message)).toMatch(/incomplete/);
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toBe('one two three four five six');
    const row = await eventually(async () => {
      const last = (await gateway.ledger.requests()).at(-1)!;
      expect(last.requestedModel).toBe('up/cutlate');
      return last;
    });
    expect(row).toMatchObject({ status: 'error', errorKind: 'stream_interrupted', servedModel: 'up/cutlate' });
    expect(row.usage.output).toBeGreaterThan(0);
    expect(upstream.requests.some((request) => request.model === 'gemini-2.5-flash')).toBe(false);
  });
});

describe('client disconnects', () => {
  it('bills a client that goes away mid-stream for what was produced', async () => {
    upstream.script('gpt-4o-mini', { kind: 'stall', afterEvents: 2, ms: 3_000, text: 'alpha beta gamma delta epsilon' });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'long answer' }], stream: true },
      { signal: controller.signal },
    );
    let text = '';
    await (async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (text.length > 0) controller.abort();
      }
    })().catch(() => undefined);
    expect(text.length).toBeGreaterThan(0);
    const row = await eventually(async () => {
      const last = (await gateway.ledger.requests()).at(-1)!;
      expect(last.status).toBe('cancelled');
      return last;
    });
    expect(row).toMatchObject({ status: 'cancelled', errorKind: 'client_closed', servedModel: 'up/gpt-4o-mini' });
    expect(row.usage.output).toBeGreaterThan(0);
    expect(row.costNanos).toBeGreaterThan(0);
  });
});

describe('embeddings and models', () => {
  it('returns float and base64 embeddings through the openai client', async () => {
    const floats = await client.embeddings.create({ model: 'up/text-embedding-3-small', input: ['alpha', 'beta'], encoding_format: 'float' });
    expect(floats.data).toHaveLength(2);
    expect(floats.data[0]!.embedding.length).toBeGreaterThan(0);
    // The client asks for base64 by default and decodes it: the vectors must match.
    const decoded = await client.embeddings.create({ model: 'up/text-embedding-3-small', input: ['alpha', 'beta'] });
    expect(decoded.data[0]!.embedding[0]).toBeCloseTo(floats.data[0]!.embedding[0]!, 6);
    expect((await gateway.ledger.requests()).at(-1)).toMatchObject({ provider: 'up', status: 'ok' });
  });

  it('lists the catalog in Vercel AI Gateway shape', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model as OpenAI.Model & { type: string; pricing: Record<string, string> });
    const mini = models.find((model) => model.id === 'up/gpt-4o-mini')!;
    expect(mini).toMatchObject({ owned_by: 'up', type: 'language', pricing: { input: '0.00000015', output: '0.0000006' } });
    expect(models.some((model) => model.id === 'mock/echo')).toBe(true);
  });
});
