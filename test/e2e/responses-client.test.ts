import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { eventually, startGateway, type TestGateway, nanos, fallbackTo } from '../support/gateway.js';

/**
 * The Responses face (`POST /v1/responses`) driven by the official `openai` client's
 * `client.responses`, against loopback upstreams that speak OpenAI's, Anthropic's and Gemini's
 * real wire formats.
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
    rateLimits: { 'up/gpt-4o-mini': { rpm: 1000 } },
    providers: {
      up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key', models: { 'gpt-4o-mini': { pricing: PRICE } } },
      claude: { kind: 'anthropic', baseURL: upstream.url, apiKey: 'claude-key', models: { 'claude-sonnet-4-5': { pricing: { input: 3, output: 15 } } } },
      gem: { kind: 'google', baseURL: `${upstream.url}/v1beta`, apiKey: 'gem-key', models: { 'gemini-2.5-flash': { pricing: { input: 0.3, output: 2.5 } } } },
    },
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused-for-now', maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

beforeEach(() => upstream.reset());

type TollgateUsage = OpenAI.Responses.ResponseUsage & { cost: number | null };
const weather: OpenAI.Responses.FunctionTool[] = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: null,
  },
];
const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** Every event of a stream, in order. */
async function collect(stream: AsyncIterable<OpenAI.Responses.ResponseStreamEvent>): Promise<OpenAI.Responses.ResponseStreamEvent[]> {
  const events = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** Event types with runs of deltas folded into one, so the order reads as a specification. */
function shape(events: OpenAI.Responses.ResponseStreamEvent[]): string[] {
  return events.map((event) => event.type).filter((type, i, all) => !(type.endsWith('.delta') && all[i - 1] === type));
}

describe('plain text through each wire format', () => {
  it('answers from an OpenAI-compatible upstream with a response object, usage with cost, and a ledger row', async () => {
    upstream.script('gpt-4o-mini', { kind: 'usage', usage: { inputTokens: 1000, cachedInputTokens: 200, outputTokens: 500 } });
    const { data: response, response: raw } = await client.responses
      .create({ model: 'up/gpt-4o-mini', instructions: 'be brief', input: 'hello gateway', max_output_tokens: 64 })
      .withResponse();

    expect(response.output_text).toBe('Echo: hello gateway');
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: 'up/gpt-4o-mini', error: null, incomplete_details: null });
    expect(response.id).toBe(`resp_${raw.headers.get('x-request-id')}`);
    expect(response.output).toEqual([
      expect.objectContaining({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Echo: hello gateway', annotations: [], logprobs: [] }] }),
    ]);
    const expectedCost = (800 * PRICE.input + 200 * PRICE.cacheRead + 500 * PRICE.output) / 1e6;
    const usage = response.usage as TollgateUsage;
    expect(usage).toMatchObject({ input_tokens: 1000, input_tokens_details: { cached_tokens: 200 }, output_tokens: 500, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 1500 });
    expect(usage.cost).toBeCloseTo(expectedCost, 12);
    expect((response as unknown as { provider: string }).provider).toBe('up');

    expect(raw.headers.get('x-tollgate-provider')).toBe('up');
    expect(raw.headers.get('x-tollgate-model')).toBe('up/gpt-4o-mini');
    expect(raw.headers.get('x-tollgate-attempts')).toBe('1');
    expect(raw.headers.get('x-ratelimit-limit-requests')).toBe('1000');

    // The upstream got a chat request with the instructions as the system message.
    expect(upstream.requests.at(-1)!.body).toMatchObject({
      model: 'gpt-4o-mini',
      max_tokens: 64,
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello gateway' }],
    });
    const row = (await gateway.ledger.requests()).at(-1)!;
    expect(row).toMatchObject({
      id: raw.headers.get('x-request-id'),
      face: 'responses',
      stream: false,
      requestedModel: 'up/gpt-4o-mini',
      servedModel: 'up/gpt-4o-mini',
      provider: 'up',
      status: 'ok',
      usage: { input: 1000, cacheRead: 200, output: 500 },
      costNanos: nanos(expectedCost),
    });
  });

  it('translates to Anthropic Messages and back, with message items and a developer message', async () => {
    upstream.script('claude-sonnet-4-5', { kind: 'usage', usage: { inputTokens: 100, outputTokens: 10 } });
    const response = await client.responses.create({
      model: 'claude/claude-sonnet-4-5',
      input: [
        { role: 'developer', content: 'answer in English' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi claude' }] },
      ],
    });
    expect(response.output_text).toBe('Echo: hi claude');
    expect(response.model).toBe('claude/claude-sonnet-4-5');
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.body).toMatchObject({ model: 'claude-sonnet-4-5', system: [{ type: 'text', text: 'answer in English' }] });
    expect((response.usage as TollgateUsage).cost).toBeCloseTo((100 * 3 + 10 * 15) / 1e6, 12);
    expect((await gateway.ledger.requests()).at(-1)).toMatchObject({ face: 'responses', provider: 'claude', usage: { input: 100, output: 10 } });
  });

  it('translates to Gemini', async () => {
    const response = await client.responses.create({ model: 'gem/gemini-2.5-flash', input: 'hi gemini' });
    expect(response.output_text).toBe('Echo: hi gemini');
    expect(upstream.requests.at(-1)!.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
  });

  it('records the same accounting as the chat face for the same answer', async () => {
    const script = { kind: 'usage' as const, usage: { inputTokens: 321, cachedInputTokens: 21, outputTokens: 45 } };
    upstream.script('gpt-4o-mini', script);
    await client.chat.completions.create({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'same question' }] });
    const chatRow = (await gateway.ledger.requests()).at(-1)!;
    await client.responses.create({ model: 'up/gpt-4o-mini', input: 'same question' });
    const responsesRow = (await gateway.ledger.requests()).at(-1)!;
    const accounting = (row: typeof chatRow) => ({
      servedModel: row.servedModel,
      provider: row.provider,
      status: row.status,
      attempts: row.attempts,
      input_tokens: row.usage.input,
      cache_read_tokens: row.usage.cacheRead,
      output_tokens: row.usage.output,
      reasoning_tokens: row.usage.reasoning,
      costNanos: row.costNanos,
    });
    expect(chatRow.face).toBe('openai');
    expect(responsesRow.face).toBe('responses');
    expect(accounting(responsesRow)).toEqual(accounting(chatRow));
  });
});

describe('streaming', () => {
  it("streams OpenAI's event sequence with sequence numbers, ending in response.completed with usage", async () => {
    upstream.script('gpt-4o-mini', { kind: 'usage', usage: { inputTokens: 40, outputTokens: 4 } });
    const { data: stream, response: raw } = await client.responses
      .create({ model: 'up/gpt-4o-mini', input: 'stream these words', stream: true })
      .withResponse();
    expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(raw.headers.get('x-tollgate-model')).toBe('up/gpt-4o-mini');
    const events = await collect(stream);

    expect(shape(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, i) => i));
    const text = events.flatMap((event) => (event.type === 'response.output_text.delta' ? [event.delta] : [])).join('');
    expect(text).toBe('Echo: stream these words');
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.response.status).toBe('completed');
    expect(completed.response.output[0]).toMatchObject({ type: 'message', status: 'completed', content: [{ type: 'output_text', text }] });
    const usage = completed.response.usage as TollgateUsage;
    expect(usage).toMatchObject({ input_tokens: 40, output_tokens: 4, total_tokens: 44 });
    expect(usage.cost).toBeCloseTo((40 * PRICE.input + 4 * PRICE.output) / 1e6, 12);

    const row = await eventually(async () => {
      const last = (await gateway.ledger.requests()).at(-1)!;
      expect(last.stream).toBe(true);
      return last;
    });
    expect(row).toMatchObject({ face: 'responses', status: 'ok', usage: { input: 40, output: 4 } });
    expect(row.ttftMs).toBeGreaterThan(0);
  });

  it('works with the client.responses.stream() helper against Anthropic', async () => {
    const stream = client.responses.stream({ model: 'claude/claude-sonnet-4-5', input: 'stream from claude' });
    let text = '';
    stream.on('response.output_text.delta', (event) => {
      text += event.delta;
    });
    const final = await stream.finalResponse();
    expect(text).toBe('Echo: stream from claude');
    // The helper's final response is the last event's object (it adds output_text only when it parses).
    expect(final.output[0]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text: 'Echo: stream from claude' }] });
    expect(final.status).toBe('completed');
    expect(final.usage?.output_tokens).toBeGreaterThan(0);
  });

  it('streams from Gemini', async () => {
    const events = await collect(await client.responses.create({ model: 'gem/gemini-2.5-flash', input: 'stream gemini', stream: true }));
    expect(events.at(-1)!.type).toBe('response.completed');
    const done = events.find((event) => event.type === 'response.output_text.done') as OpenAI.Responses.ResponseTextDoneEvent;
    expect(done.text).toBe('Echo: stream gemini');
  });

  it('ends a stream cut after its first token with response.failed, never response.completed, and bills what streamed', async () => {
    upstream.script('cutlate', { kind: 'cut', afterEvents: 2, text: 'one two three four five six' });
    const events = await collect(
      await client.responses.create({ model: 'up/cutlate', input: 'cut late', stream: true, ...fallbackTo(['gem/gemini-2.5-flash']) }),
    );
    const types = events.map((event) => event.type);
    expect(types).not.toContain('response.completed');
    const failed = events.at(-1) as OpenAI.Responses.ResponseFailedEvent;
    expect(failed.type).toBe('response.failed');
    expect(failed.response.status).toBe('failed');
    expect(failed.response.error).toMatchObject({ code: 'stream_interrupted', message: expect.stringMatching(/incomplete/) });
    expect(failed.response.output[0]).toMatchObject({ type: 'message', status: 'incomplete' });
    expect(failed.response.usage?.output_tokens).toBeGreaterThan(0);
    const row = await eventually(async () => {
      const last = (await gateway.ledger.requests()).at(-1)!;
      expect(last.requestedModel).toBe('up/cutlate');
      return last;
    });
    expect(row).toMatchObject({ face: 'responses', status: 'error', errorKind: 'stream_interrupted', servedModel: 'up/cutlate' });
    expect(upstream.requests.some((request) => request.model === 'gemini-2.5-flash')).toBe(false);
  });
});

describe('function tools', () => {
  it('round-trips function_call → function_call_output → answer through Anthropic', async () => {
    const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'call the tool' }];
    const first = await client.responses.create({ model: 'claude/claude-sonnet-4-5', input, tools: weather });
    const call = first.output.find((item): item is OpenAI.Responses.ResponseFunctionToolCall => item.type === 'function_call')!;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris' });
    expect(first.status).toBe('completed');

    const second = await client.responses.create({
      model: 'claude/claude-sonnet-4-5',
      tools: weather,
      input: [...input, ...first.output, { type: 'function_call_output', call_id: call.call_id, output: 'sunny, 21C' }],
    });
    expect(second.output_text).toBe('Tool said: sunny, 21C');
    const sent = upstream.requests.at(-1)!.body as { messages: Array<{ role: string; content: Array<{ type: string; tool_use_id?: string; id?: string }> }> };
    expect(sent.messages[1]!.content).toContainEqual(expect.objectContaining({ type: 'tool_use', id: call.call_id }));
    expect(sent.messages[2]!.content[0]).toMatchObject({ type: 'tool_result', tool_use_id: call.call_id });
  });

  it('streams a function call as output_item.added, argument deltas, arguments.done and output_item.done', async () => {
    const events = await collect(
      await client.responses.create({ model: 'up/gpt-4o-mini', input: 'use the tool', tools: weather, stream: true }),
    );
    expect(shape(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const args = events.flatMap((event) => (event.type === 'response.function_call_arguments.delta' ? [event.delta] : [])).join('');
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });
    const done = events.find((event) => event.type === 'response.output_item.done') as OpenAI.Responses.ResponseOutputItemDoneEvent;
    expect(done.item).toMatchObject({ type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: args, status: 'completed' });

    // The streamed call goes back as input, with its output, to an OpenAI-compatible upstream.
    const second = await client.responses.create({
      model: 'up/gpt-4o-mini',
      tools: weather,
      input: [{ role: 'user', content: 'use the tool' }, done.item, { type: 'function_call_output', call_id: 'call_1', output: 'rainy' }],
    });
    expect(second.output_text).toBe('Tool said: rainy');
    expect(upstream.requests.at(-1)!.body).toMatchObject({
      messages: [
        { role: 'user' },
        { role: 'assistant', tool_calls: [{ id: 'call_1', function: { name: 'get_weather' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'rainy' },
      ],
    });
  });
});

describe('inputs and options', () => {
  it('sends an input_image data URL to Anthropic as a base64 image source', async () => {
    await client.responses.create({
      model: 'claude/claude-sonnet-4-5',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'what is this' }, { type: 'input_image', image_url: `data:image/png;base64,${png}`, detail: 'auto' }] }],
    });
    const sent = upstream.requests.at(-1)!.body as { messages: Array<{ content: unknown[] }> };
    expect(sent.messages[0]!.content).toContainEqual(expect.objectContaining({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }));
  });

  it('sends text.format json_schema to Gemini as a response schema', async () => {
    upstream.script('gemini-2.5-flash', { kind: 'text', text: '{"city":"Paris"}' });
    const response = await client.responses.create({
      model: 'gem/gemini-2.5-flash',
      input: 'a city as JSON',
      text: { format: { type: 'json_schema', name: 'city', schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true } },
    });
    expect(JSON.parse(response.output_text)).toEqual({ city: 'Paris' });
    expect(response.text?.format).toMatchObject({ type: 'json_schema', name: 'city', strict: true });
    expect(upstream.requests.at(-1)!.body).toMatchObject({
      generationConfig: { responseMimeType: 'application/json', responseSchema: { type: 'object', properties: { city: { type: 'string' } } } },
    });
  });
});

describe('routing and errors', () => {
  it('falls back from a model that keeps answering 503 to the next one', async () => {
    upstream.script('primary', { kind: 'error', status: 503 });
    const response = await client.responses.create({ model: 'up/primary', input: 'fall back please', ...fallbackTo(['claude/claude-sonnet-4-5']) });
    expect(response.output_text).toBe('Echo: fall back please');
    expect(response.model).toBe('claude/claude-sonnet-4-5');
    const row = (await gateway.ledger.requests()).at(-1)!;
    expect(row).toMatchObject({ face: 'responses', requestedModel: 'up/primary', servedModel: 'claude/claude-sonnet-4-5', attempts: 3, status: 'ok' });
    expect((await gateway.ledger.attempts(row.id)).map((attempt) => attempt.errorKind)).toEqual(['upstream_overloaded', 'upstream_overloaded', null]);
  });

  it('falls back when a stream fails before its first token', async () => {
    upstream.script('cutearly', { kind: 'cut', afterEvents: 0 });
    const events = await collect(
      await client.responses.create({ model: 'up/cutearly', input: 'cut early', stream: true, ...fallbackTo(['gem/gemini-2.5-flash']) }),
    );
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.type).toBe('response.completed');
    expect(completed.response.model).toBe('gem/gemini-2.5-flash');
  });

  it('raises an upstream 400 as BadRequestError, without retry or fallback', async () => {
    upstream.script('bad', { kind: 'error', status: 400 });
    const error = await client.responses
      .create({ model: 'up/bad', input: 'bad request', ...fallbackTo(['claude/claude-sonnet-4-5']) })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_bad_request');
    expect(upstream.requests.some((request) => request.path === '/v1/messages')).toBe(false);
    expect((await gateway.ledger.requests()).at(-1)).toMatchObject({ face: 'responses', status: 'error', errorKind: 'upstream_bad_request', attempts: 1 });
  });

  it('raises an unknown model as NotFoundError, streaming or not', async () => {
    const error = await client.responses.create({ model: 'nobody/nothing', input: 'hello' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');
    const streamError = await client.responses.create({ model: 'nobody/nothing', input: 'hello', stream: true }).catch((caught: unknown) => caught);
    expect(streamError).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('refuses built-in tools as BadRequestError naming the field', async () => {
    const builtIn = await client.responses
      .create({ model: 'up/gpt-4o-mini', input: 'search', tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] })
      .catch((caught: unknown) => caught);
    expect(builtIn).toBeInstanceOf(OpenAI.BadRequestError);
    expect((builtIn as InstanceType<typeof OpenAI.APIError>).param).toBe('tools[0].type');
    expect((builtIn as Error).message).toMatch(/file_search/);
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers 404 for reading back a response never kept', async () => {
    const error = await client.responses.retrieve('resp_123').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as Error).message).toMatch(/Response with id 'resp_123' not found/);
  });
});

describe('the AI SDK as a Responses client (@ai-sdk/openai .responses())', () => {
  const provider = () => createOpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused' });

  it('generates and streams text, reading usage from the response', async () => {
    upstream.script('claude-sonnet-4-5', { kind: 'usage', usage: { inputTokens: 30, outputTokens: 3 } });
    const generated = await generateText({ model: provider().responses('claude/claude-sonnet-4-5'), prompt: 'hi sdk' });
    expect(generated.text).toBe('Echo: hi sdk');
    expect(generated.usage).toMatchObject({ inputTokens: 30, outputTokens: 3 });
    expect(generated.finishReason).toBe('stop');

    const streamed = streamText({ model: provider().responses('gem/gemini-2.5-flash'), prompt: 'stream sdk' });
    expect(await streamed.text).toBe('Echo: stream sdk');
    expect(await streamed.finishReason).toBe('stop');
    expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
  });

  it('runs a tool loop when the client sends items instead of references (store: false)', async () => {
    const result = await generateText({
      model: provider().responses('up/gpt-4o-mini'),
      prompt: 'use the tool',
      tools: {
        get_weather: tool({
          description: 'Weather in a city',
          inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
          execute: async ({ city }) => `sunny in ${city}`,
        }),
      },
      stopWhen: stepCountIs(3),
      providerOptions: { openai: { store: false } },
    });
    expect(result.steps.map((step) => step.finishReason)).toEqual(['tool-calls', 'stop']);
    expect(result.text).toBe('Tool said: sunny in Paris');
    expect((await gateway.ledger.requests()).slice(-2).map((row) => row.face)).toEqual(['responses', 'responses']);
  });
});
