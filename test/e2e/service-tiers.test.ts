import { createGateway } from '@ai-sdk/gateway';
import { generateText } from 'ai';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nanos, startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/**
 * Service tiers: OpenAI's `service_tier` (and the AI SDK's `providerOptions.openai.serviceTier`)
 * and Anthropic's (`auto`, `standard_only`) reach the upstream, and the tier the upstream says it
 * served at decides the price: the tier's own rates where config knows them, the default rates
 * (with a warning) where not.
 */
let upstream: StartedUpstream;
let gateway: TestGateway;
let client: OpenAI;
const warnings: Array<Record<string, unknown>> = [];

// USD per million tokens; every answer below reports 1,000 input and 100 output tokens.
const DEFAULT_COST = nanos((1000 * 1.25 + 100 * 10) / 1e6);
const FLEX_COST = nanos((1000 * 0.625 + 100 * 5) / 1e6);
const PRIORITY_COST = nanos((1000 * 2.5 + 100 * 20) / 1e6);
const USAGE = { kind: 'usage' as const, usage: { inputTokens: 1000, outputTokens: 100 } };

beforeAll(async () => {
  upstream = await startUpstream();
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>) });
  gateway = await startGateway(
    {
      mock: false,
      routing: { retries: 0 },
      providers: {
        up: {
          kind: 'openai',
          baseURL: `${upstream.url}/v1`,
          apiKey: 'sk-up',
          models: {
            'gpt-5': { pricing: { input: 1.25, output: 10, serviceTiers: { flex: { input: 0.625, output: 5 }, priority: { input: 2.5, output: 20 } } } },
            'gpt-5-mini': { pricing: { input: 1.25, output: 10 } },
          },
        },
        claude: {
          kind: 'anthropic',
          baseURL: upstream.url,
          apiKey: 'claude-key',
          models: { 'claude-sonnet-4-5': { pricing: { input: 3, output: 15, serviceTiers: { priority: { input: 6, output: 30 } } } } },
        },
      },
    },
    { logger },
  );
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.reset();
  upstream.script('*', USAGE);
});

const costOf = async (requestId: string | null) => (await gateway.ledger.requests()).find((row) => row.id === requestId)?.costNanos;
const sentTier = () => (upstream.requests.at(-1)?.body as { service_tier?: unknown }).service_tier;

describe('service tiers on chat completions (same-protocol passthrough)', () => {
  it('sends flex upstream and bills what the upstream says it served at, whole and streamed', async () => {
    const whole = await client.chat.completions.create({ model: 'up/gpt-5', messages: [{ role: 'user', content: 'hi' }], service_tier: 'flex' }).withResponse();
    expect(sentTier()).toBe('flex');
    expect(whole.data.service_tier).toBe('flex');
    expect(await costOf(whole.response.headers.get('x-request-id'))).toBe(FLEX_COST);

    const stream = await client.chat.completions
      .create({ model: 'up/gpt-5', messages: [{ role: 'user', content: 'hi' }], service_tier: 'priority', stream: true, stream_options: { include_usage: true } })
      .withResponse();
    let cost: unknown;
    for await (const chunk of stream.data) if (chunk.usage) cost = (chunk.usage as { cost?: unknown }).cost;
    expect(sentTier()).toBe('priority');
    expect(cost).toBe(PRIORITY_COST / 1e9);
    await expect.poll(() => costOf(stream.response.headers.get('x-request-id'))).toBe(PRIORITY_COST);
  });

  it('bills auto at the default rates when the upstream chose its default tier', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'up/gpt-5', messages: [{ role: 'user', content: 'hi' }], service_tier: 'auto' }).withResponse();
    expect(sentTier()).toBe('auto');
    expect(data.service_tier).toBe('default');
    expect(await costOf(response.headers.get('x-request-id'))).toBe(DEFAULT_COST);
  });

  it('bills a tier the price table does not know at the default rates, and says so once in the log', async () => {
    const { response } = await client.chat.completions.create({ model: 'up/gpt-5-mini', messages: [{ role: 'user', content: 'hi' }], service_tier: 'flex' }).withResponse();
    expect(await costOf(response.headers.get('x-request-id'))).toBe(DEFAULT_COST);
    await client.chat.completions.create({ model: 'up/gpt-5-mini', messages: [{ role: 'user', content: 'again' }], service_tier: 'flex' });
    const notes = warnings.filter((line) => line.serviceTier === 'flex' && line.model === 'up/gpt-5-mini');
    expect(notes).toHaveLength(1);
    expect(notes[0]!.msg).toMatch(/billed at the default tier's prices; set models\["up\/gpt-5-mini"\]\.pricing\.serviceTiers\.flex/);
  });

  it('refuses a tier OpenAI does not have with a 400 naming the field', async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up/gpt-5', messages: [{ role: 'user', content: 'hi' }], service_tier: 'turbo' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { type: string; param: string; message: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'service_tier' });
    expect(body.error.message).toMatch(/'auto', 'default', 'flex', 'priority'/);
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('service tiers through translating faces', () => {
  it('Responses: service_tier reaches the upstream and its reported tier sets the price, whole and streamed', async () => {
    const whole = await client.responses.create({ model: 'up/gpt-5', input: 'hi', service_tier: 'flex', store: false }).withResponse();
    expect(sentTier()).toBe('flex');
    expect(await costOf(whole.response.headers.get('x-request-id'))).toBe(FLEX_COST);

    const stream = await client.responses.create({ model: 'up/gpt-5', input: 'hi', service_tier: 'priority', store: false, stream: true }).withResponse();
    for await (const _event of stream.data) void _event;
    expect(sentTier()).toBe('priority');
    await expect.poll(() => costOf(stream.response.headers.get('x-request-id'))).toBe(PRIORITY_COST);
  });

  it('AI SDK: providerOptions.openai.serviceTier reaches the upstream and is billed at its tier', async () => {
    const provider = createGateway({ baseURL: `${gateway.url}/v3/ai`, apiKey: 'unused-without-auth' });
    const result = await generateText({ model: provider('up/gpt-5'), prompt: 'hi', providerOptions: { openai: { serviceTier: 'flex' } } });
    expect(sentTier()).toBe('flex');
    const requestId = (result.providerMetadata?.gateway as { requestId?: string } | undefined)?.requestId ?? (await gateway.ledger.requests()).at(-1)!.id;
    expect(await costOf(requestId)).toBe(FLEX_COST);
  });
});

describe('Anthropic service tiers on the Messages face', () => {
  const STANDARD_COST = nanos((1000 * 3 + 100 * 15) / 1e6);
  const PRIORITY = nanos((1000 * 6 + 100 * 30) / 1e6);
  const anthropic = () => new Anthropic({ baseURL: gateway.url, apiKey: 'unused', maxRetries: 0 });
  const ask = (extra: Record<string, unknown>) =>
    anthropic().messages.create({ model: 'claude/claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], ...extra } as Anthropic.MessageCreateParamsNonStreaming).withResponse();

  it('sends auto upstream and bills the priority tier the upstream served at, whole and streamed', async () => {
    const whole = await ask({ service_tier: 'auto' });
    expect(sentTier()).toBe('auto');
    expect(await costOf(whole.response.headers.get('x-request-id'))).toBe(PRIORITY);

    const stream = await anthropic().messages.create({ model: 'claude/claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], service_tier: 'auto', stream: true }).withResponse();
    for await (const _event of stream.data) void _event;
    expect(sentTier()).toBe('auto');
    await expect.poll(() => costOf(stream.response.headers.get('x-request-id'))).toBe(PRIORITY);
  });

  it('sends standard_only upstream, and nothing when the request names no tier; both bill the standard rates', async () => {
    const only = await ask({ service_tier: 'standard_only' });
    expect(sentTier()).toBe('standard_only');
    expect(await costOf(only.response.headers.get('x-request-id'))).toBe(STANDARD_COST);
    const none = await ask({});
    expect(upstream.requests.at(-1)!.body).not.toHaveProperty('service_tier');
    expect(await costOf(none.response.headers.get('x-request-id'))).toBe(STANDARD_COST);
  });

  it('AI SDK: providerOptions.anthropic.serviceTier reaches the upstream', async () => {
    const provider = createGateway({ baseURL: `${gateway.url}/v3/ai`, apiKey: 'unused-without-auth' });
    await generateText({ model: provider('claude/claude-sonnet-4-5'), prompt: 'hi', providerOptions: { anthropic: { serviceTier: 'auto' } } });
    expect(sentTier()).toBe('auto');
    expect((await gateway.ledger.requests()).at(-1)!.costNanos).toBe(PRIORITY);
  });

  it('refuses a tier Anthropic does not have with a 400 naming the field, before any upstream call', async () => {
    const failure = await ask({ service_tier: 'priority' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.BadRequestError);
    expect((failure as Error).message).toMatch(/service_tier must be 'auto' or 'standard_only'/);
    expect(upstream.requests).toHaveLength(0);
  });
});
