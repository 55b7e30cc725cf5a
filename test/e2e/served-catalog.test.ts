import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, manualClock, startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/**
 * `/v1/models`, `/v3/ai/config` and `list_models` list what the providers' own model lists say
 * they serve: a model the price table knows but the provider does not list is left out, so
 * "cheapest first" never recommends it.
 */
let upstream: StartedUpstream;
let anthropic: StartedUpstream;
let gateway: TestGateway;
let client: OpenAI;
const clock = manualClock(Date.UTC(2026, 5, 1));
const logLines: Array<{ msg: string; provider?: string; reason?: string }> = [];
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as (typeof logLines)[number]);
      done();
    },
  }),
);

const modelListCalls = (path: string) => upstream.requests.filter((request) => request.method === 'GET' && request.path === path).length;
const listedIds = async () => {
  const ids: string[] = [];
  for await (const model of client.models.list()) ids.push(model.id);
  return ids;
};

beforeAll(async () => {
  upstream = await startUpstream({ models: ['gpt-4o-mini', 'house-model'] });
  anthropic = await startUpstream({ models: ['claude-haiku-4-5', 'claude-sonnet-4-5'] });
  gateway = await startGateway(
    {
      mock: false,
      catalog: { ttlMs: 60_000, retryMs: 10_000 },
      providers: {
        up: { kind: 'openai', baseURL: `${upstream.url}/v1`, apiKey: 'sk-up-secret' },
        claude: { kind: 'anthropic', baseURL: anthropic.url, apiKey: 'sk-ant-secret' },
        // Nothing listens there: its list is never read.
        down: { kind: 'openai', baseURL: 'http://127.0.0.1:9/v1', apiKey: 'sk-down', models: { 'gpt-4o-mini': {} } },
        pinned: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, discoverModels: false, models: { 'llama-local': { contextWindow: 8_192 } } },
      },
    },
    { clock: clock.now, logger },
  );
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused' });
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  await anthropic?.close();
});

describe('the catalog of what is served', () => {
  it('lists exactly what each provider’s model list answers, plus the models config names', async () => {
    const ids = await listedIds();
    expect(ids).toEqual(['claude/claude-haiku-4-5', 'claude/claude-sonnet-4-5', 'down/gpt-4o-mini', 'pinned/llama-local', 'up/gpt-4o-mini', 'up/house-model']);
    // Priced in the table, not served by the upstream: not listed.
    expect(ids).not.toContain('up/gpt-4o');
    expect(modelListCalls('/v1/models')).toBe(1);
    expect(anthropic.requests).toEqual([expect.objectContaining({ path: '/v1/models', query: 'limit=1000' })]);
    expect(anthropic.requests[0]!.headers).toMatchObject({ 'x-api-key': 'sk-ant-secret', 'anthropic-version': '2023-06-01' });
    expect(logLines).toContainEqual(expect.objectContaining({ provider: 'down', msg: 'model list of down failed; the catalog lists only its configured models' }));
    expect(JSON.stringify(logLines)).not.toContain('sk-down');
  });

  it('prices served models from the table and leaves an unpriced one without a price', async () => {
    const mini = await client.models.retrieve('up/gpt-4o-mini');
    expect(mini).toMatchObject({ owned_by: 'up', pricing: { input: '0.00000015', output: '0.0000006' } });
    const house = (await client.models.retrieve('up/house-model')) as unknown as Record<string, unknown>;
    expect(house).toMatchObject({ id: 'up/house-model', type: 'language', pricing: {} });
    const missing = await client.models.retrieve('up/gpt-4o').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('list_models recommends only served models, cheapest first, unknown prices last', async () => {
    const mcp = new Client({ name: 'catalog-test', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url)));
    try {
      const result = await mcp.callTool({ name: 'list_models', arguments: { type: 'language' } });
      const models = (result.structuredContent as { models: Array<{ id: string; input_per_million: number | null }> }).models;
      expect(models.map((model) => model.id)).toEqual([
        'down/gpt-4o-mini',
        'up/gpt-4o-mini',
        'claude/claude-haiku-4-5',
        'claude/claude-sonnet-4-5',
        'pinned/llama-local',
        'up/house-model',
      ]);
      expect(models.at(-1)).toMatchObject({ id: 'up/house-model', input_per_million: null });
    } finally {
      await mcp.close();
    }
  });

  it('reads each list once per TTL, and a failed refresh keeps the last good list', async () => {
    const before = modelListCalls('/v1/models');
    await listedIds();
    await listedIds();
    expect(modelListCalls('/v1/models')).toBe(before);

    upstream.script('*', { kind: 'error', status: 500 });
    clock.advance(60_000);
    expect(await listedIds()).toContain('up/house-model');
    await eventually(() => expect(logLines).toContainEqual(expect.objectContaining({ provider: 'up', msg: 'model list of up failed; the catalog keeps its last good list' })));
    expect(await listedIds()).toContain('up/house-model');

    // Once the provider answers again, a newly served model appears after the retry wait.
    upstream.reset();
    upstream.script('gpt-5-mini', { kind: 'ok' });
    clock.advance(10_000);
    await listedIds();
    await eventually(async () => expect(await listedIds()).toContain('up/gpt-5-mini'));
  });

  it('informs and does not gate: a model missing from the list still goes to its provider', async () => {
    const completion = await client.chat.completions.create({ model: 'up/gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]!.message.content).toBeTruthy();
    expect(upstream.requests.at(-1)).toMatchObject({ path: '/v1/chat/completions', model: 'gpt-4o' });
  });

  it('/v3/ai/config lists the same models', async () => {
    const response = await fetch(`${gateway.url}/v3/ai/config`);
    const body = (await response.json()) as { models: Array<{ id: string }> };
    expect(body.models.map((model) => model.id)).toEqual(await listedIds());
  });
});
