import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createGateway, GatewayInvalidRequestError } from '@ai-sdk/gateway';
import { generateText } from 'ai';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

/**
 * What a user reads must be true: the mock costs what the MCP instructions say, a 402 says why
 * this request did not fit, and every path of the OpenAI face names the answer the same way.
 */
let upstream: StartedUpstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream?.close());

async function post(gateway: TestGateway, path: string, body: unknown, key?: string) {
  const response = await request(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.statusCode, headers: response.headers, body: (await response.body.json()) as Record<string, any> };
}

const echo = (maxTokens: number) => ({ model: 'mock/echo', max_tokens: maxTokens, messages: [{ role: 'user', content: 'hello there' }] });

describe('the mock is free by default', () => {
  it('serves a key with a tiny budget without spending it, shows prices of 0 and tells MCP clients it is free', async () => {
    const gateway = await startGateway({});
    try {
      const key = (await gateway.server.app.store.keys.create({ name: 'tiny', budgetUsd: 0.0001, budgetPeriod: 'total' })).key;
      for (let i = 0; i < 3; i++) {
        const answer = await post(gateway, '/v1/chat/completions', echo(4_000), key);
        expect(answer.status).toBe(200);
        expect(answer.body.usage.cost).toBe(0);
      }
      expect((await gateway.ledger.requests()).map((row) => row.costNanos)).toEqual([0, 0, 0]);

      const models = (await (await request(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).body.json()) as { data: Array<{ id: string; pricing: Record<string, string> }> };
      const byId = new Map(models.data.map((model) => [model.id, model.pricing]));
      expect(byId.get('mock/echo')).toEqual({ input: '0', output: '0' });
      expect(byId.get('mock/rerank')).toEqual({ request: '0' });

      const client = new Client({ name: 'honest-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
      try {
        expect(client.getInstructions()).toMatch(/The `mock\/\*` models are offline test models and free\./);
      } finally {
        await client.close();
      }
    } finally {
      await gateway.close();
    }
  });

  it('bills the nominal prices with mockPricing, so budgets can be tried offline', async () => {
    const gateway = await startGateway({ mockPricing: true });
    try {
      const key = (await gateway.server.app.store.keys.create({ name: 'priced', budgetUsd: 1, budgetPeriod: 'total' })).key;
      const answer = await post(gateway, '/v1/chat/completions', echo(16), key);
      expect(answer.status).toBe(200);
      expect(answer.body.usage.cost).toBeGreaterThan(0);
      expect((await gateway.ledger.requests())[0]!.costNanos).toBeGreaterThan(0);

      const client = new Client({ name: 'honest-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
      try {
        expect(client.getInstructions()).toMatch(/billed here at small nominal prices/);
        const listed = await client.callTool({ name: 'list_models', arguments: { provider: 'mock' } });
        const text = (listed.content as Array<{ text: string }>)[0]!.text;
        expect(text).toContain('mock/image (image) $0.01/image');
        expect(text).toContain('mock/rerank (reranking) $0.001/search');
        expect(text).toContain('mock/speak (speech) $15/M characters');
        expect(text).toContain('mock/transcribe (transcription) $0.006/minute of audio');
        expect(text).toContain('mock/echo (language) in $1/M out $2/M tokens');
        expect(text).not.toContain('?/M');
      } finally {
        await client.close();
      }
    } finally {
      await gateway.close();
    }
  });
});

describe('a 402 says why the request did not fit', () => {
  it("on an untouched budget, names the request's worst case and what is left, and asks for a lower max_tokens", async () => {
    const gateway = await startGateway({ mockPricing: true });
    try {
      const key = (await gateway.server.app.store.keys.create({ name: 'fresh', budgetUsd: 0.0001, budgetPeriod: 'total' })).key;
      // 4,000 output tokens at $2/M is $0.008 at worst: more than the $0.0001 the budget has.
      const refused = await post(gateway, '/v1/chat/completions', echo(4_000), key);
      expect(refused.status).toBe(402);
      expect(refused.body.error.code).toBe('insufficient_budget');
      expect(refused.body.error.message).toMatch(
        /^budget too small for this request \(key "fresh"\): its worst case \(\$0\.008\d*, from the prompt and max_tokens, or the model's output cap without it\) is more than what is left \(\$0\.0001 of \$0\.0001 total budget, never resets\); set or lower max_tokens, pick a cheaper model, or raise the budget$/,
      );
      expect(refused.body.error.message).not.toMatch(/exhausted/);
      // The advice works: the same prompt with a small max_tokens fits.
      expect((await post(gateway, '/v1/chat/completions', echo(8), key)).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it('on a budget already spent, says it is used up and when it resets', async () => {
    const gateway = await startGateway({ mockPricing: true });
    try {
      const store = gateway.server.app.store;
      const key = (await store.keys.create({ name: 'spent', budgetUsd: 1, budgetPeriod: 'day' })).key;
      expect((await post(gateway, '/v1/chat/completions', echo(16), key)).status).toBe(200);
      await store.keys.update('spent', { budgetUsd: 0.000001 });
      const refused = await post(gateway, '/v1/chat/completions', echo(16), key);
      expect(refused.status).toBe(402);
      expect(refused.body.error.message).toMatch(
        /^budget exhausted for key "spent": \$0\.0000\d+ spent of \$0\.000001 \(per day, resets \d{4}-\d{2}-\d{2}T00:00:00\.000Z\); raise the budget or wait for it to reset$/,
      );
    } finally {
      await gateway.close();
    }
  });
});

describe("one rule for an answer's id and model on every path of the OpenAI face", () => {
  let gateway: TestGateway;
  let client: OpenAI;
  beforeAll(async () => {
    gateway = await startGateway({
      mock: false,
      providers: {
        // Same wire format: the body is piped through.
        oa: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { 'gpt-4o-mini': {} } },
        // Another wire format: the answer is translated.
        an: { kind: 'anthropic', baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { 'claude-haiku-4-5': {} } },
      },
    });
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(() => gateway?.close());

  for (const model of ['oa/gpt-4o-mini', 'an/claude-haiku-4-5']) {
    it(`${model}: a completion carries chatcmpl-<request id> and the served provider/model`, async () => {
      const { data, response } = await client.chat.completions.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      const requestId = response.headers.get('x-request-id');
      expect(requestId).toBeTruthy();
      expect(data.id).toBe(`chatcmpl-${requestId}`);
      expect(data.model).toBe(model);
      expect((await gateway.ledger.requests()).find((row) => row.id === requestId)).toMatchObject({ servedModel: model });
    });

    it(`${model}: every chunk of a stream carries the same id and model`, async () => {
      const { data: stream, response } = await client.chat.completions
        .create({ model, max_tokens: 16, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      const requestId = response.headers.get('x-request-id');
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.length).toBeGreaterThan(1);
      expect(new Set(chunks.map((chunk) => chunk.id))).toEqual(new Set([`chatcmpl-${requestId}`]));
      expect(new Set(chunks.map((chunk) => chunk.model))).toEqual(new Set([model]));
    });
  }

  it('leaves a tool call id of a piped stream alone', async () => {
    const stream = await client.chat.completions.create({
      model: 'oa/gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'use the tool' }],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    const ids: string[] = [];
    for await (const chunk of stream) for (const call of chunk.choices[0]?.delta.tool_calls ?? []) if (call.id) ids.push(call.id);
    expect(ids).toEqual(['call_1']);
  });
});

describe('sampling settings out of range are refused by each face, naming the field', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({});
  });
  afterAll(() => gateway?.close());

  it('OpenAI chat: temperature 5 → 400 on temperature, and nothing is served or billed', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const before = (await gateway.ledger.requests()).length;
    const refused = await client.chat.completions.create({ model: 'mock/echo', temperature: 5, messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
    expect((refused as Error).message).toMatch(/temperature/);
    const topP = await post(gateway, '/v1/chat/completions', { ...echo(8), top_p: 1.5 });
    expect(topP).toMatchObject({ status: 400, body: { error: { param: 'top_p' } } });
    const penalty = await post(gateway, '/v1/chat/completions', { ...echo(8), presence_penalty: -3 });
    expect(penalty).toMatchObject({ status: 400, body: { error: { param: 'presence_penalty' } } });
    expect((await gateway.ledger.requests()).length).toBe(before);
  });

  it('Responses: temperature 3 → 400 on temperature', async () => {
    const refused = await post(gateway, '/v1/responses', { model: 'mock/echo', input: 'hi', temperature: 3 });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body.error)).toMatch(/temperature/);
  });

  it('AI SDK gateway (/v3/ai): temperature 5 and topP 1.5 → the client raises GatewayInvalidRequestError naming the field', async () => {
    const gatewayProvider = createGateway({ baseURL: `${gateway.url}/v3/ai`, apiKey: 'unused' });
    const before = (await gateway.ledger.requests()).length;
    for (const [field, settings] of [
      ['temperature', { temperature: 5 }],
      ['topP', { topP: 1.5 }],
    ] as const) {
      const refused = await generateText({ model: gatewayProvider('mock/echo'), prompt: 'hi', maxRetries: 0, ...settings }).catch((error: unknown) => error);
      expect(GatewayInvalidRequestError.isInstance(refused), String(refused)).toBe(true);
      expect((refused as Error).message).toContain(field);
    }
    expect((await gateway.ledger.requests()).length).toBe(before);
    const served = await generateText({ model: gatewayProvider('mock/echo'), prompt: 'hi', temperature: 2, topP: 1 });
    expect(served.text).toBe('Echo: hi');
  });

  it('MCP chat tool: temperature 5 → an error naming temperature, and nothing is served', async () => {
    const client = new Client({ name: 'range-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`)));
    try {
      const before = (await gateway.ledger.requests()).length;
      const refused = await client.callTool({ name: 'chat', arguments: { prompt: 'hi', temperature: 5 } }).catch((error: unknown) => ({ isError: true, content: [{ type: 'text', text: String(error) }] }));
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toMatch(/temperature/);
      expect((await gateway.ledger.requests()).length).toBe(before);
    } finally {
      await client.close();
    }
  });

  it('Anthropic messages: temperature 1.5 (its range is 0 to 1) → 400 invalid_request_error on temperature', async () => {
    const refused = await post(gateway, '/v1/messages', { model: 'mock/echo', max_tokens: 8, temperature: 1.5, messages: [{ role: 'user', content: 'hi' }] });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(refused.body.error.message).toMatch(/temperature/);
  });
});
