import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool, type ModelMessage } from 'ai';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { manualClock, startGateway, type TestGateway } from '../support/gateway.js';
import { createTestDatabase, PG_HOST, PG_PORT, postgresAvailable, type TestDatabase } from '../support/postgres.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';

/**
 * Stateful Responses: a response is kept (unless `store: false`) for the key that made it, so
 * `previous_response_id`, `item_reference`, `GET`/`DELETE /v1/responses/{id}` and
 * `/v1/responses/{id}/input_items` work through the unmodified `openai` client and the AI SDK,
 * whichever provider served each turn. Kept responses expire after `responses.retentionDays`.
 */
const ADMIN_KEY = 'admin-responses-7c1e';
const DAY = 86_400_000;
const clock = manualClock(Date.parse('2026-11-02T10:00:00.000Z'));
let upstream: StartedUpstream;
let gateway: TestGateway;
let client: OpenAI;
let aliceKey: string;
let bobKey: string;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway(
    {
      responses: { retentionDays: 2 },
      providers: {
        up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key', models: { 'gpt-4o-mini': { pricing: { input: 0.15, output: 0.6 } } } },
        claude: { kind: 'anthropic', baseURL: upstream.url, apiKey: 'claude-key', models: { 'claude-sonnet-4-5': { pricing: { input: 3, output: 15 } } } },
      },
    },
    { clock: clock.now, env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } },
  );
  aliceKey = (await gateway.server.app.store.keys.create({ name: 'alice' })).key;
  bobKey = (await gateway.server.app.store.keys.create({ name: 'bob' })).key;
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: aliceKey, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

beforeEach(() => upstream.reset());

/** The chat messages the OpenAI-compatible upstream got last, as role: text. */
function lastChatMessages(): string[] {
  const body = upstream.requests.at(-1)!.body as { messages: Array<{ role: string; content: string | Array<{ text?: string }> }> };
  return body.messages.map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : m.content.map((p) => p.text ?? '').join(' ')}`);
}

async function raw(method: 'GET' | 'POST' | 'DELETE', path: string, key: string, body?: object, on: TestGateway = gateway) {
  const response = await request(`${on.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
}

describe('the openai client', () => {
  it('continues a response by id, reads it back, lists its input items page by page, and deletes it', async () => {
    const first = await client.responses.create({ model: 'up/gpt-4o-mini', input: 'my name is Ada' });
    expect(first).toMatchObject({ store: true, previous_response_id: null, output_text: 'Echo: my name is Ada' });

    const second = await client.responses.create({ model: 'up/gpt-4o-mini', instructions: 'be brief', input: 'what is my name?', previous_response_id: first.id });
    expect(second).toMatchObject({ store: true, previous_response_id: first.id, output_text: 'Echo: what is my name?' });
    // The upstream got the whole conversation; the earlier turn's instructions are not carried over.
    expect(lastChatMessages()).toEqual(['system: be brief', 'user: my name is Ada', 'assistant: Echo: my name is Ada', 'user: what is my name?']);

    expect(await client.responses.retrieve(second.id)).toEqual(second);

    const items = await client.responses.inputItems.list(second.id);
    expect(items.data.map((item) => item.type === 'message' && item.role)).toEqual(['user', 'assistant', 'user']);
    expect(items.data[0]).toMatchObject({ type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: 'what is my name?' }] });
    expect(items.data[1]).toEqual(first.output[0]);
    expect(items.has_more).toBe(false);

    const paged: string[] = [];
    for await (const item of client.responses.inputItems.list(second.id, { limit: 1, order: 'asc' })) paged.push(item.id);
    expect(paged).toEqual([...items.data].reverse().map((item) => item.id));
    const firstPage = await client.responses.inputItems.list(second.id, { limit: 2, order: 'asc' });
    expect(firstPage.data.map((item) => item.id)).toEqual(paged.slice(0, 2));
    expect(firstPage.has_more).toBe(true);

    expect(await client.responses.delete(second.id)).toEqual({ id: second.id, object: 'response.deleted', deleted: true });
    const deleted = await raw('DELETE', `/v1/responses/${first.id}`, aliceKey);
    expect(deleted).toEqual({ status: 200, body: { id: first.id, object: 'response.deleted', deleted: true } });

    const gone = await client.responses.retrieve(second.id).catch((caught: unknown) => caught);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    const continued = await client.responses.create({ model: 'up/gpt-4o-mini', input: 'again', previous_response_id: first.id }).catch((caught: unknown) => caught);
    expect(continued).toBeInstanceOf(OpenAI.NotFoundError);
    expect(continued).toMatchObject({ code: 'previous_response_not_found', param: 'previous_response_id' });
  });

  it('continues across providers: the gateway keeps the state, each upstream gets the whole conversation', async () => {
    const first = await client.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'remember 42' });
    expect(first.output_text).toBe('Echo: remember 42');
    const second = await client.responses.create({ model: 'up/gpt-4o-mini', input: 'what number?', previous_response_id: first.id });
    expect(second.output_text).toBe('Echo: what number?');
    expect(lastChatMessages()).toEqual(['user: remember 42', 'assistant: Echo: remember 42', 'user: what number?']);
    // A third turn carries both earlier ones.
    await client.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'and now?', previous_response_id: second.id });
    const anthropic = upstream.requests.at(-1)!.body as { messages: Array<{ role: string }> };
    expect(anthropic.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
  });

  it('carries a function call into the next turn, so its output alone continues it', async () => {
    const tools: OpenAI.Responses.FunctionTool[] = [
      { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: null },
    ];
    const call = await client.responses.create({ model: 'up/gpt-4o-mini', input: 'use the tool', tools });
    const fc = call.output.find((item) => item.type === 'function_call')!;
    expect(fc).toMatchObject({ type: 'function_call', name: 'get_weather' });
    const answer = await client.responses.create({
      model: 'up/gpt-4o-mini',
      tools,
      previous_response_id: call.id,
      input: [{ type: 'function_call_output', call_id: (fc as OpenAI.Responses.ResponseFunctionToolCall).call_id, output: 'sunny' }],
    });
    expect(answer.output_text).toBe('Tool said: sunny');
  });

  it('streams a response, keeps it before the last event, and continues a stream from it', async () => {
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of await client.responses.create({ model: 'up/gpt-4o-mini', input: 'stream one', stream: true })) events.push(event);
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.type).toBe('response.completed');
    expect(completed.response).toMatchObject({ store: true });
    // The client adds output_text to what it retrieves.
    const { output_text: text, ...retrieved } = await client.responses.retrieve(completed.response.id);
    expect(text).toBe('Echo: stream one');
    expect(retrieved).toEqual(completed.response);

    const stream = client.responses.stream({ model: 'up/gpt-4o-mini', input: 'stream two', previous_response_id: completed.response.id });
    const final = await stream.finalResponse();
    expect(final).toMatchObject({ previous_response_id: completed.response.id, output: [{ type: 'message', content: [{ text: 'Echo: stream two' }] }] });
    expect(lastChatMessages()).toEqual(['user: stream one', 'assistant: Echo: stream one', 'user: stream two']);
    const items = await client.responses.inputItems.list(final.id, { order: 'asc' });
    expect(items.data.map((item) => item.id)).toEqual([
      ...(await client.responses.inputItems.list(completed.response.id, { order: 'asc' })).data.map((item) => item.id),
      completed.response.output[0]!.id,
      expect.stringMatching(/^msg_.+_in0$/),
    ]);
  });

  it('keeps nothing with store: false, and says so', async () => {
    const response = await client.responses.create({ model: 'up/gpt-4o-mini', input: 'forget me', store: false });
    expect(response).toMatchObject({ store: false });
    expect(await raw('GET', `/v1/responses/${response.id}`, aliceKey)).toMatchObject({ status: 404 });
    const streamed: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of await client.responses.create({ model: 'up/gpt-4o-mini', input: 'forget me too', stream: true, store: false })) streamed.push(event);
    const id = (streamed.at(-1) as OpenAI.Responses.ResponseCompletedEvent).response.id;
    expect(await raw('GET', `/v1/responses/${id}`, aliceKey)).toMatchObject({ status: 404 });
    expect(await gateway.server.app.store.responses.get(response.id, (await gateway.server.app.store.keys.get('alice'))!.id)).toBeUndefined();
    expect(await gateway.server.app.store.responses.get(id, (await gateway.server.app.store.keys.get('alice'))!.id)).toBeUndefined();
  });
});

describe('scope, refusals and retention', () => {
  it("treats another key's response as unknown: 404 in OpenAI's shape, and the owner still has it", async () => {
    const mine = await client.responses.create({ model: 'up/gpt-4o-mini', input: 'private' });
    const upstreamCalls = upstream.requests.length;

    expect(await raw('POST', '/v1/responses', bobKey, { model: 'up/gpt-4o-mini', input: 'peek', previous_response_id: mine.id })).toEqual({
      status: 404,
      body: {
        error: {
          message: `Previous response with id '${mine.id}' not found. Responses are kept for 2 days, only for the key that made them, and only when the request did not set store: false.`,
          type: 'invalid_request_error',
          param: 'previous_response_id',
          code: 'previous_response_not_found',
        },
      },
    });
    const notFound = {
      status: 404,
      body: {
        error: {
          message: `Response with id '${mine.id}' not found. Responses are kept for 2 days, only for the key that made them, and only when the request did not set store: false.`,
          type: 'invalid_request_error',
          param: null,
          code: 'not_found',
        },
      },
    };
    expect(await raw('GET', `/v1/responses/${mine.id}`, bobKey)).toEqual(notFound);
    expect(await raw('GET', `/v1/responses/${mine.id}/input_items`, bobKey)).toEqual(notFound);
    expect(await raw('DELETE', `/v1/responses/${mine.id}`, bobKey)).toEqual(notFound);
    const reference = await raw('POST', '/v1/responses', bobKey, { model: 'up/gpt-4o-mini', input: [{ type: 'item_reference', id: mine.output[0]!.id }] });
    expect(reference.status).toBe(404);
    expect(reference.body.error).toMatchObject({ type: 'invalid_request_error', param: 'input[0]', code: 'not_found', message: expect.stringMatching(/^Item with id 'msg_.+' not found\./) });
    expect(upstream.requests.length).toBe(upstreamCalls);

    expect((await raw('GET', `/v1/responses/${mine.id}`, aliceKey)).status).toBe(200);
  });

  it('refuses bad input_items parameters and unknown sub-routes, naming the field', async () => {
    const mine = await client.responses.create({ model: 'up/gpt-4o-mini', input: 'list me' });
    const limit = await raw('GET', `/v1/responses/${mine.id}/input_items?limit=101`, aliceKey);
    expect(limit.status).toBe(400);
    expect(limit.body.error).toMatchObject({ type: 'invalid_request_error', param: 'limit', code: 'invalid_request' });
    const after = await raw('GET', `/v1/responses/${mine.id}/input_items?after=msg_nope_0`, aliceKey);
    expect(after.status).toBe(400);
    expect(after.body.error).toMatchObject({ param: 'after', code: 'invalid_request' });
    const order = await raw('GET', `/v1/responses/${mine.id}/input_items?order=sideways`, aliceKey);
    expect(order.status).toBe(400);
    expect(order.body.error).toMatchObject({ param: 'order' });
    const other = await raw('GET', `/v1/responses/${mine.id}/output_items`, aliceKey);
    expect(other.status).toBe(404);
    expect(other.body.error).toMatchObject({ type: 'invalid_request_error', code: 'not_found' });
  });

  it('stops serving a response once its retention has passed, and the next sweep deletes it', async () => {
    const old = await client.responses.create({ model: 'up/gpt-4o-mini', input: 'old news' });
    const owner = (await gateway.server.app.store.keys.get('alice'))!.id;
    clock.advance(2 * DAY - 1);
    expect((await raw('GET', `/v1/responses/${old.id}`, aliceKey)).status).toBe(200);
    clock.advance(2);
    expect((await raw('GET', `/v1/responses/${old.id}`, aliceKey)).status).toBe(404);
    const continued = await raw('POST', '/v1/responses', aliceKey, { model: 'up/gpt-4o-mini', input: 'more', previous_response_id: old.id });
    expect(continued.body.error).toMatchObject({ code: 'previous_response_not_found' });
    // Still on disk until a sweep, which the next kept response runs.
    expect(await gateway.server.app.store.responses.get(old.id, owner)).toBeDefined();
    const fresh = await client.responses.create({ model: 'up/gpt-4o-mini', input: 'fresh' });
    expect(await gateway.server.app.store.responses.get(old.id, owner)).toBeUndefined();
    expect(await gateway.server.app.store.responses.get(fresh.id, owner)).toBeDefined();
  });
});

describe('the AI SDK (@ai-sdk/openai responses model) with store left at its default', () => {
  const model = () => createOpenAI({ baseURL: `${gateway.url}/v1`, apiKey: aliceKey }).responses('up/gpt-4o-mini');

  it('continues with providerOptions.openai.previousResponseId over streamText', async () => {
    const first = streamText({ model: model(), prompt: 'my favourite colour is teal' });
    expect(await first.text).toBe('Echo: my favourite colour is teal');
    const responseId = (await first.providerMetadata)?.openai?.responseId as string;
    expect(responseId).toMatch(/^resp_/);

    const second = streamText({ model: model(), prompt: 'which colour?', providerOptions: { openai: { previousResponseId: responseId } } });
    expect(await second.text).toBe('Echo: which colour?');
    expect(lastChatMessages()).toEqual(['user: my favourite colour is teal', 'assistant: Echo: my favourite colour is teal', 'user: which colour?']);
  });

  it('runs plain multi-turn, where earlier answers come back as item references', async () => {
    const messages: ModelMessage[] = [{ role: 'user', content: 'first question' }];
    const first = streamText({ model: model(), messages });
    expect(await first.text).toBe('Echo: first question');
    messages.push(...(await first.response).messages, { role: 'user', content: 'second question' });

    const second = streamText({ model: model(), messages });
    expect(await second.text).toBe('Echo: second question');
    const sent = upstream.requests.at(-1)!;
    expect(lastChatMessages()).toEqual(['user: first question', 'assistant: Echo: first question', 'user: second question']);
    expect(sent.path).toBe('/v1/chat/completions');
  });

  it('runs a tool loop', async () => {
    const result = await generateText({
      model: model(),
      prompt: 'use the tool',
      tools: {
        get_weather: tool({
          inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
          execute: async ({ city }) => `sunny in ${city}`,
        }),
      },
      stopWhen: stepCountIs(3),
    });
    expect(result.steps.map((step) => step.finishReason)).toEqual(['tool-calls', 'stop']);
    expect(result.text).toBe('Tool said: sunny in Paris');
  });
});

describe.skipIf(!postgresAvailable)('two instances on one PostgreSQL', () => {
  let database: TestDatabase;
  const instances: TestGateway[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    const config = {
      store: { database: database.url() },
      providers: { up: { kind: 'openai-compatible' as const, baseURL: `${upstream.url}/v1`, apiKey: 'up-key', models: { 'gpt-4o-mini': {} } } },
    };
    for (let index = 0; index < 2; index++) instances.push(await startGateway(config, { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } }));
  });
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.close()));
    await database?.drop();
  });

  it('continues, reads and deletes on one instance a response made on the other', async () => {
    const [one, two] = instances as [TestGateway, TestGateway];
    const { key } = await one.server.app.store.keys.create({ name: 'shared' });
    const onOne = new OpenAI({ baseURL: `${one.url}/v1`, apiKey: key, maxRetries: 0 });
    const onTwo = new OpenAI({ baseURL: `${two.url}/v1`, apiKey: key, maxRetries: 0 });

    const first = await onOne.responses.create({ model: 'up/gpt-4o-mini', input: 'made on one' });
    const second = await onTwo.responses.create({ model: 'up/gpt-4o-mini', input: 'continued on two', previous_response_id: first.id });
    expect(lastChatMessages()).toEqual(['user: made on one', 'assistant: Echo: made on one', 'user: continued on two']);
    const { output_text: text, ...retrieved } = await onOne.responses.retrieve(second.id);
    expect(text).toBe('Echo: continued on two');
    expect(retrieved).toMatchObject({ id: second.id, previous_response_id: first.id });

    expect(await onTwo.responses.delete(first.id)).toMatchObject({ deleted: true });
    expect(await onOne.responses.retrieve(first.id).catch((caught: unknown) => caught)).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('answers 503 in OpenAI\'s shape when PostgreSQL is out of reach and a response is to be kept; store: false still serves', async () => {
    const proxy = await startTcpProxy({ host: PG_HOST, port: PG_PORT });
    const config = {
      store: { database: database.url(proxy.port) },
      providers: { up: { kind: 'openai-compatible' as const, baseURL: `${upstream.url}/v1`, apiKey: 'up-key', models: { 'gpt-4o-mini': {} } } },
    };
    const cutOff = await startGateway(config, { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } });
    try {
      // The instance hears of its own new key (LISTEN/NOTIFY) and forgets its lookups then: wait
      // for that, so the lookup below is the one it remembers through the outage.
      const heard = (cutOff.server.app.store as PostgresStore).keysChanged();
      const { key } = await cutOff.server.app.store.keys.create({ name: 'cut-off' });
      await heard;
      // Known to the instance before the outage: its key lookup is remembered for a while.
      const kept = await raw('POST', '/v1/responses', key, { model: 'up/gpt-4o-mini', input: 'before' }, cutOff);
      expect(kept.status).toBe(200);
      await proxy.cut();

      const unkept = await raw('POST', '/v1/responses', key, { model: 'up/gpt-4o-mini', input: 'during', store: false }, cutOff);
      expect(unkept).toMatchObject({ status: 200, body: { store: false, status: 'completed' } });
      const outage = {
        status: 503,
        body: {
          error: {
            message: expect.stringMatching(/^the store \(PostgreSQL at 127\.0\.0\.1:\d+\/tollgate_test_\w+\) is unreachable; try again shortly$/),
            type: 'api_error',
            param: null,
            code: 'store_unavailable',
          },
        },
      };
      expect(await raw('POST', '/v1/responses', key, { model: 'up/gpt-4o-mini', input: 'during' }, cutOff)).toEqual(outage);
      expect(await raw('POST', '/v1/responses', key, { model: 'up/gpt-4o-mini', input: 'during', store: false, previous_response_id: kept.body.id }, cutOff)).toEqual(outage);
      expect(await raw('GET', `/v1/responses/${String(kept.body.id)}`, key, undefined, cutOff)).toEqual(outage);

      await proxy.restore();
      expect((await raw('GET', `/v1/responses/${String(kept.body.id)}`, key, undefined, cutOff)).status).toBe(200);
    } finally {
      await cutOff.close();
      await proxy.close();
    }
  });
});
