import OpenAI, { toFile } from 'openai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { eventually, startGateway, type TestGateway } from '../support/gateway.js';
import { faceClients, type BudgetAsk, type BudgetFace } from './budget-faces.js';

/**
 * Budgets that hold against an upstream that bills everything it is sent: 40 requests race
 * against each budget through every face, and the spend never passes the limit by more than one
 * request's maximum cost. The loopback upstream bills what an adversarial but honest provider
 * could: one token per byte of the long texts sent (tool descriptions, prompts), the full
 * thinking budget, the whole audio.
 */
let upstream: StartedUpstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream?.close());

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
  upstream.reset();
});

/** $1 per million tokens in and out: a token costs 1,000 nanos. */
const PRICED = { pricing: { input: 1, output: 1 } };
const RACE = 40;

function providers(url: string): NonNullable<ConfigInput['providers']> {
  return {
    up: { kind: 'openai-compatible', baseURL: `${url}/v1`, apiKey: 'up-key', models: { m: PRICED, flaky: PRICED } },
    claude: { kind: 'anthropic', baseURL: url, apiKey: 'claude-key', models: { m: PRICED } },
    oa: { kind: 'openai', baseURL: `${url}/v1`, apiKey: 'oa-key', models: { 'whisper-1': { pricing: { audioMinute: 0.006 } } } },
  };
}

async function gatewayWith(budgets: ConfigInput['budgets'], extra: Partial<ConfigInput> = {}) {
  const gateway = await startGateway({ providers: providers(upstream.url), budgets, mock: false, routing: { retries: 0 }, ...extra });
  open.push(gateway);
  return gateway;
}

const spentNanos = async (gateway: TestGateway) => (await gateway.ledger.requests()).reduce((total, row) => total + (row.costNanos ?? 0), 0);
const globalBudget = (limitUsd: number) => [{ scope: 'global' as const, limitUsd, period: 'day' as const }];

/**
 * Races RACE requests through one face against a global budget of `limitUsd`, with the upstream
 * billing `costNanos` for each, and checks the promise: at least one served, the rest refused for
 * budget before reaching the upstream, and the spend at most the limit plus one request's cost.
 */
async function race(face: BudgetFace, request: BudgetAsk, limitUsd: number, costNanos: number) {
  const gateway = await gatewayWith(globalBudget(limitUsd));
  const clients = faceClients(gateway.url);
  open.push(clients);
  const outcomes = await Promise.all(Array.from({ length: RACE }, () => clients.ask(face, request)));
  const served = outcomes.filter((outcome) => outcome.served).length;
  const refused = outcomes.filter((outcome) => !outcome.served);
  expect(refused.map((outcome) => !outcome.served && outcome.code).filter((code) => code !== 'insufficient_budget')).toEqual([]);
  expect(served).toBeGreaterThanOrEqual(1);
  expect(upstream.requests).toHaveLength(served);
  const spent = await eventually(async () => {
    expect((await gateway.server.gateway.budgetStatus(undefined))[0]).toMatchObject({ reservedUsd: 0 });
    return (await spentNanos(gateway));
  });
  expect(spent).toBeLessThanOrEqual(limitUsd * 1e9 + costNanos);
  return { gateway, served, spent };
}

/** 100 kB of punctuation: a tokenizer may well spend a token on every byte of it. */
const LONG_TEXT = '{}[]<>!?'.repeat(12_500);
const LONG_BYTES = Buffer.byteLength(LONG_TEXT);

describe('tool definitions and schemas are held', () => {
  const faces: Array<{ face: BudgetFace; model: string }> = [
    { face: 'openai', model: 'up/m' },
    { face: 'openai', model: 'claude/m' },
    { face: 'anthropic', model: 'claude/m' },
    { face: 'responses', model: 'up/m' },
    { face: 'aisdk', model: 'up/m' },
    { face: 'mcp', model: 'up/m' },
  ];
  it.each(faces)('$face → $model: a tool with a 100 kB description, max_tokens 10, 40 at once', async ({ face, model }) => {
    const inputTokens = LONG_BYTES + 100;
    upstream.script('m', { kind: 'usage', usage: { inputTokens, outputTokens: 10 } });
    const cost = (inputTokens + 10) * 1_000;
    const { served } = await race(face, { model, prompt: 'look it up', maxTokens: 10, stream: false, toolDescription: LONG_TEXT }, 0.5, cost);
    // The hold covers the description: no more than fit in $0.50 at $0.10 each.
    expect(served).toBeLessThanOrEqual(4);
  });
});

describe('thinking budgets are held', () => {
  const faces: Array<{ face: BudgetFace; stream: boolean }> = [
    { face: 'openai', stream: false },
    { face: 'openai', stream: true },
    { face: 'anthropic', stream: false },
    { face: 'anthropic', stream: true },
    { face: 'responses', stream: true },
    { face: 'aisdk', stream: false },
  ];
  it.each(faces)('$face (stream: $stream): max_tokens 10 with a 60,000-token thinking budget, 40 at once', async ({ face, stream }) => {
    upstream.script('m', { kind: 'usage', usage: { inputTokens: 20, outputTokens: 60_010 } });
    const cost = 60_030 * 1_000;
    const { served } = await race(face, { model: 'claude/m', prompt: 'think hard', maxTokens: 10, stream, thinkingBudget: 60_000 }, 0.2, cost);
    expect(served).toBeLessThanOrEqual(3);
    // What the hold covered is what the upstream was allowed to write.
    for (const request of upstream.requests) expect((request.body as { max_tokens: number }).max_tokens).toBe(60_010);
  });
});

describe('prompts are held at an upper bound of their tokens', () => {
  // 1,500 characters, 4,500 bytes: four characters a token would count 375.
  const prompt = '€'.repeat(1_500);
  const faces: Array<{ face: BudgetFace; model: string; stream: boolean }> = [
    { face: 'openai', model: 'up/m', stream: true },
    { face: 'openai', model: 'claude/m', stream: true },
    { face: 'anthropic', model: 'up/m', stream: true },
    { face: 'responses', model: 'claude/m', stream: true },
    { face: 'aisdk', model: 'up/m', stream: true },
    { face: 'mcp', model: 'claude/m', stream: false },
  ];
  it.each(faces)('$face → $model (stream: $stream): a prompt billed at one token a byte, 40 at once', async ({ face, model, stream }) => {
    const inputTokens = Buffer.byteLength(prompt) + 30;
    upstream.script('m', { kind: 'usage', usage: { inputTokens, outputTokens: 50 } });
    await race(face, { model, prompt, maxTokens: 50, stream }, 0.05, (inputTokens + 50) * 1_000);
  });
});

/** `seconds` of 8 kHz 16-bit mono PCM: the loopback upstream hears bytes / 16,000 seconds. */
function wav(seconds: number): Buffer {
  const data = Buffer.alloc(seconds * 16_000);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8_000, 24);
  header.writeUInt32LE(16_000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

describe('transcription is held for the audio', () => {
  // A minute at $0.006 a minute; the upstream bills it in whole seconds, rounded up.
  const audio = wav(60);
  const cost = Math.ceil(audio.length / 16_000) * 100_000;

  it('OpenAI face: 40 transcriptions of a minute of audio against $0.02', async () => {
    const gateway = await gatewayWith(globalBudget(0.02));
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const outcomes = await Promise.all(
      Array.from({ length: RACE }, async () =>
        client.audio.transcriptions
          .create({ model: 'oa/whisper-1', file: await toFile(audio, 'minute.wav', { type: 'audio/wav' }), response_format: 'verbose_json' })
          .then(
            () => 'served',
            (error: unknown) => (error as InstanceType<typeof OpenAI.APIError>).code,
          ),
      ),
    );
    const served = outcomes.filter((outcome) => outcome === 'served').length;
    expect(outcomes.filter((outcome) => outcome !== 'served' && outcome !== 'insufficient_budget')).toEqual([]);
    expect(served).toBeGreaterThanOrEqual(1);
    expect(served).toBeLessThanOrEqual(3);
    expect(await spentNanos(gateway)).toBeLessThanOrEqual(0.02e9 + cost);
  });

  it('MCP transcribe tool: 40 transcriptions of a minute of audio against $0.02', async () => {
    const gateway = await gatewayWith(globalBudget(0.02));
    const client = new Client({ name: 'budget-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url)));
    open.push(client);
    const outcomes = await Promise.all(
      Array.from({ length: RACE }, async () => {
        const result = (await client.callTool({ name: 'transcribe', arguments: { model: 'oa/whisper-1', audio_base64: audio.toString('base64'), media_type: 'audio/wav' } })) as CallToolResult;
        return result.isError ? (result._meta?.['tollgate/error'] as { kind: string }).kind : 'served';
      }),
    );
    const served = outcomes.filter((outcome) => outcome === 'served').length;
    expect(outcomes.filter((outcome) => outcome !== 'served' && outcome !== 'insufficient_budget')).toEqual([]);
    expect(served).toBeGreaterThanOrEqual(1);
    expect(served).toBeLessThanOrEqual(3);
    expect(await spentNanos(gateway)).toBeLessThanOrEqual(0.02e9 + cost);
  });
});

describe('a request without an output cap, under a budget', () => {
  it('is held at the model cap and that cap is sent upstream, piped or translated', async () => {
    const gateway = await gatewayWith(globalBudget(1), { models: { 'up/m': { maxTokens: 1_000 } } });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await client.chat.completions.create({ model: 'up/m', messages: [{ role: 'user', content: 'hi' }] });
    expect(upstream.requests.at(-1)!.body).toMatchObject({ max_tokens: 1_000 });
    await client.chat.completions.create({ model: 'claude/m', messages: [{ role: 'user', content: 'hi' }] });
    expect(upstream.requests.at(-1)!.body).toMatchObject({ max_tokens: 4_096 });
    await client.responses.create({ model: 'claude/m', input: 'hi' });
    expect(upstream.requests.at(-1)!.body).toMatchObject({ max_tokens: 4_096 });
  });
});

describe('cut streams on the passthrough bill every output field', () => {
  async function cutStream(gateway: TestGateway, body: Record<string, unknown>, model = 'up/m') {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    let received = 0;
    const error = await (async () => {
      const stream = (await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'use the tool' }], stream: true, ...body } as never)) as unknown as AsyncIterable<OpenAI.Chat.ChatCompletionChunk>;
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta as Record<string, unknown> | undefined;
        received += Buffer.byteLength(String(delta?.reasoning_content ?? '') + String(delta?.content ?? ''));
        for (const call of (delta?.tool_calls as Array<{ function?: { arguments?: string } }> | undefined) ?? []) received += Buffer.byteLength(call.function?.arguments ?? '');
      }
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    return received;
  }

  it('tool-call arguments of a stream that broke off count as output', async () => {
    upstream.script('m', { kind: 'cut', afterEvents: 20_000, toolArguments: JSON.stringify({ q: 'x'.repeat(200_000) }) });
    const gateway = await gatewayWith(globalBudget(10));
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];
    const received = await cutStream(gateway, { tools, max_tokens: 300_000 });
    expect(received).toBeGreaterThan(90_000);
    const row = await eventually(async () => (await gateway.ledger.requests()).find((candidate) => candidate.status === 'error')!);
    // At least what a thrifty tokenizer (four bytes a token) makes of what the client received.
    expect(row.usage.output).toBeGreaterThanOrEqual(received / 4);
    expect(Math.round((await gateway.server.gateway.budgetStatus(undefined))[0]!.spentUsd * 1e9)).toBe(row.costNanos);
  });

  it('the translated path counts tool-call input too (an Anthropic upstream cut mid tool call)', async () => {
    upstream.script('m', { kind: 'cut', afterEvents: 10_000, toolArguments: JSON.stringify({ q: 'x'.repeat(100_000) }) });
    const gateway = await gatewayWith(globalBudget(10));
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];
    const received = await cutStream(gateway, { tools, max_tokens: 300_000 }, 'claude/m');
    expect(received).toBeGreaterThan(40_000);
    const row = await eventually(async () => (await gateway.ledger.requests()).find((candidate) => candidate.status === 'error')!);
    expect(row.usage.output).toBeGreaterThanOrEqual(received / 4);
  });

  it('reasoning_content of a stream that broke off counts as output', async () => {
    upstream.script('m', { kind: 'cut', afterEvents: 2_000, reasoning: 'step '.repeat(5_000) });
    const gateway = await gatewayWith(globalBudget(10));
    const received = await cutStream(gateway, { max_tokens: 50_000 });
    expect(received).toBeGreaterThan(9_000);
    const row = await eventually(async () => (await gateway.ledger.requests()).find((candidate) => candidate.status === 'error')!);
    expect(row.usage.output).toBeGreaterThanOrEqual(received / 4);
  });
});

describe('upstream usage is checked before it is billed', () => {
  const ask = (gateway: TestGateway, stream: boolean, model = 'up/m') =>
    new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 }).chat.completions
      .create({ model, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream } as never)
      .then(async (answer) => {
        if (stream) for await (const _chunk of answer as unknown as AsyncIterable<unknown>) void _chunk;
        return undefined;
      });

  it.each([
    { what: 'negative input tokens, piped', usage: { inputTokens: -1_000_000 }, stream: false, model: 'up/m' },
    { what: '1e308 input tokens, piped', usage: { inputTokens: 1e308 }, stream: false, model: 'up/m' },
    { what: 'a string for output tokens, piped', usage: { outputTokens: '12' as unknown as number }, stream: false, model: 'up/m' },
    { what: '1e308 output tokens, piped stream', usage: { outputTokens: 1e308 }, stream: true, model: 'up/m' },
    { what: 'negative output tokens, translated', usage: { outputTokens: -50 }, stream: false, model: 'claude/m' },
  ])('$what: billed at the worst case held, and reports stay sane', async ({ usage, stream, model }) => {
    upstream.script('m', { kind: 'usage', usage });
    const gateway = await gatewayWith(globalBudget(1));
    await ask(gateway, stream, model);
    const row = await eventually(async () => (await gateway.ledger.requests())[0]!);
    // The worst case: the held output cap (100), and the prompt at its upper bound.
    expect(row.usage.output).toBe(100);
    expect(row.usage.input).toBeGreaterThan(0);
    expect(row.usage.input).toBeLessThan(1_000);
    expect(row.costNanos).toBe((row.usage.input + 100) * 1_000);
    const today = new Date().toISOString().slice(0, 10);
    const report = await fetch(`${gateway.url}/v1/report?start_date=${today}&end_date=${today}&group_by=model`).then((response) => response.text());
    expect(report).not.toMatch(/e\+|-\d/);
    expect(JSON.parse(report).results[0]).toMatchObject({ total_cost: row.costNanos! / 1e9, output_tokens: 100 });
  });
});

describe('models without a price under a budget', () => {
  it('are refused on every face with an error naming the model and the setting, before any upstream call', async () => {
    const gateway = await gatewayWith(globalBudget(1));
    const clients = faceClients(gateway.url);
    open.push(clients);
    for (const [face, model] of [['openai', 'up/free'], ['anthropic', 'claude/free'], ['responses', 'up/free'], ['aisdk', 'up/free'], ['mcp', 'up/free']] as const) {
      const outcome = await clients.ask(face, { model, prompt: 'hi', maxTokens: 10, stream: false });
      expect(outcome, face).toMatchObject({ served: false, code: 'unpriced_model' });
      if (!outcome.served) {
        expect(outcome.message).toContain(model);
        expect(outcome.message).toContain('budgets.unpricedModels');
      }
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('are skipped as fallbacks, and served once config allows them or no budget applies', async () => {
    const budgeted = await gatewayWith(globalBudget(1));
    const ask = (gateway: TestGateway, body: object = {}) =>
      new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 }).chat.completions
        .create({ model: 'up/free', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], ...body })
        .withResponse();
    const fellBack = await ask(budgeted, { providerOptions: { gateway: { models: ['up/m'] } } });
    expect(fellBack.response.headers.get('x-tollgate-model')).toBe('up/m');
    expect(upstream.requests.map((request) => request.model)).toEqual(['m']);

    const allowed = await gatewayWith({ limits: globalBudget(1), unpricedModels: 'allow' });
    expect((await ask(allowed)).response.headers.get('x-tollgate-model')).toBe('up/free');
    const unbudgeted = await gatewayWith([]);
    expect((await ask(unbudgeted)).response.headers.get('x-tollgate-model')).toBe('up/free');
  });
});

describe('failed attempts that the upstream reported usage for', () => {
  it('a 5xx whose body reports usage: the attempt row, the request and the budget carry its cost', async () => {
    upstream.script('flaky', {
      kind: 'error',
      status: 500,
      body: { error: { message: 'generation failed', type: 'server_error' }, usage: { prompt_tokens: 1_000, completion_tokens: 500, total_tokens: 1_500 } },
    });
    upstream.script('m', { kind: 'usage', usage: { inputTokens: 10, outputTokens: 20 } });
    const gateway = await gatewayWith(globalBudget(1));
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await client.chat.completions.create({ model: 'up/flaky', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], providerOptions: { gateway: { models: ['up/m'] } } } as never);
    const [row] = await gateway.ledger.requests();
    expect((await gateway.ledger.attempts(row!.id)).map((attempt) => [attempt.model, attempt.status, attempt.usage?.input, attempt.usage?.output, attempt.costNanos])).toEqual([
      ['up/flaky', 'error', 1_000, 500, 1_500_000],
      ['up/m', 'ok', 10, 20, 30_000],
    ]);
    expect(row!.costNanos).toBe(1_530_000);
    expect(Math.round((await gateway.server.gateway.budgetStatus(undefined))[0]!.spentUsd * 1e9)).toBe(1_530_000);
  });

  it('a stream that reported its prompt, then failed before any output: charged although nothing served', async () => {
    upstream.script('flaky', { kind: 'streamError', afterEvents: 0, usage: { inputTokens: 2_000 } });
    const gateway = await gatewayWith(globalBudget(1));
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const error = await (async () => {
      // vLLM's continuous usage: every chunk, the first included, says what was used so far.
      const stream = await client.chat.completions.create({
        model: 'up/flaky',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true, continuous_usage_stats: true },
      } as never);
      for await (const _chunk of stream as unknown as AsyncIterable<unknown>) void _chunk;
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const [row] = await gateway.ledger.requests();
    expect(row).toMatchObject({ status: 'error', costNanos: 2_000_000, usage: { input: 2_000 } });
    expect(await gateway.ledger.attempts(row!.id)).toMatchObject([{ model: 'up/flaky', status: 'error', usage: { input: 2_000 }, costNanos: 2_000_000 }]);
    expect((await gateway.server.gateway.budgetStatus(undefined))[0]).toMatchObject({ spentUsd: 0.002, reservedUsd: 0 });
  });
});
