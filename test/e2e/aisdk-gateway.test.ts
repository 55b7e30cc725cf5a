import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGateway,
  GatewayAuthenticationError,
  GatewayInvalidRequestError,
  GatewayModelNotFoundError,
  type GatewayProvider,
} from '@ai-sdk/gateway';
import {
  embed,
  embedMany,
  experimental_generateSpeech as generateSpeech,
  experimental_transcribe as transcribe,
  generateImage,
  generateText,
  rerank,
  stepCountIs,
  streamText,
  tool,
} from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { solidPng } from '../../src/providers/mock/png.js';
import { eventually, startGateway, type TestGateway, nanos } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/**
 * The AI SDK gateway face driven by the unmodified `@ai-sdk/gateway` client and `ai` functions
 * (`createGateway({ baseURL: <tollgate>/v3/ai })`), against the built-in mock provider and
 * loopback upstreams that speak OpenAI's and Anthropic's real wire formats.
 */
let upstream: StartedUpstream;
let files: { url: string; server: Server };
let gateway: TestGateway;
let provider: GatewayProvider;

const PNG = Buffer.from(solidPng(2, 2, [200, 40, 40]));
const PRICE = { input: 0.15, output: 0.6 };

beforeAll(async () => {
  upstream = await startUpstream();
  files = await startFileServer();
  gateway = await startGateway({
    mockPricing: true,
    routing: { retries: 0, backoffMs: 1, maxBackoffMs: 10 },
    // The file server is on loopback: this gateway is told to trust its network.
    server: { fileFetch: { allowPrivate: true, maxBytes: 4096 } },
    providers: {
      up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key', models: { 'gpt-4o-mini': { pricing: PRICE } } },
      claude: { kind: 'anthropic', baseURL: `${upstream.url}/v1`, apiKey: 'claude-key', models: { 'claude-sonnet-4-5': { pricing: { input: 3, output: 15 } } } },
    },
  });
  provider = createGateway({ baseURL: `${gateway.url}/v3/ai`, apiKey: 'unused-without-auth' });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  await new Promise<void>((resolve) => (files ? files.server.close(() => resolve()) : resolve()));
});

beforeEach(() => upstream.reset());

const lastRow = async () => (await gateway.ledger.requests()).at(-1)!;

describe('language models', () => {
  it('generateText on the mock provider: text, V3 usage, and Tollgate accounting in providerMetadata.gateway', async () => {
    const result = await generateText({ model: provider('mock/echo'), prompt: 'hello there' });

    expect(result.text).toBe('Echo: hello there');
    expect(result.usage).toMatchObject({ inputTokens: 5, outputTokens: 3, totalTokens: 8 });
    expect(result.finishReason).toBe('stop');
    // mock/echo's nominal price: USD 1 and 2 per million tokens.
    const cost = (5 * 1 + 3 * 2) / 1e6;
    expect(result.providerMetadata?.gateway).toEqual({
      generationId: (await lastRow()).id,
      cost: '0.000011',
      marketCost: '0.000011',
      routing: {
        originalModelId: 'mock/echo',
        resolvedProvider: 'mock',
        resolvedProviderApiModelId: 'echo',
        canonicalSlug: 'mock/echo',
        finalProvider: 'mock',
        totalProviderAttemptCount: 1,
      },
    });
    expect(await lastRow()).toMatchObject({ face: 'aisdk', stream: false, requestedModel: 'mock/echo', status: 'ok', usage: { input: 5, output: 3 }, costNanos: nanos(cost) });
  });

  it('streamText on the mock provider: the text streams and the finish carries the cost', async () => {
    const result = streamText({ model: provider('mock/echo'), prompt: 'hello stream' });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);

    expect(deltas.join('')).toBe('Echo: hello stream');
    expect(deltas.length).toBeGreaterThan(1);
    expect(await result.usage).toMatchObject({ inputTokens: 5, outputTokens: 3 });
    expect((await result.providerMetadata)?.gateway).toMatchObject({ cost: '0.000011', routing: { finalProvider: 'mock' } });
    await eventually(async () => expect(await lastRow()).toMatchObject({ face: 'aisdk', stream: true, status: 'ok', costNanos: nanos(0.000011) }));
  });

  it('streamText runs a tool round trip through an OpenAI-compatible upstream: the SDK executes the tool and calls again', async () => {
    const calls: unknown[] = [];
    const result = streamText({
      model: provider('up/gpt-4o-mini'),
      prompt: 'what is the weather? use the tool',
      tools: {
        get_weather: tool({
          description: 'Weather in a city',
          inputSchema: z.object({ city: z.string() }),
          execute: async (input) => {
            calls.push(input);
            return { city: input.city, celsius: 21 };
          },
        }),
      },
      stopWhen: stepCountIs(3),
    });

    expect(await result.text).toBe('Tool said: {"city":"Paris","celsius":21}');
    expect(calls).toEqual([{ city: 'Paris' }]);
    expect((await result.steps).map((step) => step.finishReason)).toEqual(['tool-calls', 'stop']);

    // The upstream saw its own model id and key, the tool offered, then the tool's result.
    const [first, second] = upstream.requests;
    expect(first!.headers.authorization).toBe('Bearer up-key');
    expect(first!.body).toMatchObject({ model: 'gpt-4o-mini', stream: true, tools: [{ type: 'function', function: { name: 'get_weather' } }] });
    expect(second!.body).toMatchObject({ messages: expect.arrayContaining([expect.objectContaining({ role: 'tool', tool_call_id: 'call_1' })]) });
    await eventually(async () => expect((await gateway.ledger.requests()).slice(-2).map((row) => [row.face, row.servedModel, row.status])).toEqual([
      ['aisdk', 'up/gpt-4o-mini', 'ok'],
      ['aisdk', 'up/gpt-4o-mini', 'ok'],
    ]));
  });

  it('generateText against an Anthropic upstream reports its usage and cost', async () => {
    upstream.script('claude-sonnet-4-5', { kind: 'usage', usage: { inputTokens: 100, outputTokens: 10 } });
    const result = await generateText({ model: provider('claude/claude-sonnet-4-5'), system: 'be brief', prompt: 'hello claude' });

    expect(result.text).toBe('Echo: hello claude');
    expect(result.usage).toMatchObject({ inputTokens: 100, outputTokens: 10 });
    expect(upstream.requests.at(-1)!.headers['x-api-key']).toBe('claude-key');
    const cost = (100 * 3 + 10 * 15) / 1e6;
    expect(result.providerMetadata?.gateway).toMatchObject({ cost: String(cost), routing: { finalProvider: 'claude', resolvedProviderApiModelId: 'claude-sonnet-4-5' } });
    expect(await lastRow()).toMatchObject({ face: 'aisdk', servedModel: 'claude/claude-sonnet-4-5', costNanos: nanos(cost) });
  });

  it('falls back to the models in providerOptions.gateway.models and says so in the routing metadata', async () => {
    upstream.script('gpt-4o-mini', { kind: 'error', status: 500 });
    const result = await generateText({
      model: provider('up/gpt-4o-mini'),
      prompt: 'hello fallback',
      providerOptions: { gateway: { models: ['claude/claude-sonnet-4-5'], user: 'ada', tags: ['checkout'] } },
    });

    expect(result.text).toBe('Echo: hello fallback');
    expect(result.providerMetadata?.gateway).toMatchObject({
      routing: { originalModelId: 'up/gpt-4o-mini', finalProvider: 'claude', canonicalSlug: 'claude/claude-sonnet-4-5', totalProviderAttemptCount: 2 },
    });
    const row = await lastRow();
    expect(row).toMatchObject({ face: 'aisdk', requestedModel: 'up/gpt-4o-mini', servedModel: 'claude/claude-sonnet-4-5', attempts: 2, user: 'ada' });
    expect(row.tags).toEqual(['checkout']);
    expect((await gateway.ledger.attempts(row.id)).map((attempt) => [attempt.model, attempt.status])).toEqual([
      ['up/gpt-4o-mini', 'error'],
      ['claude/claude-sonnet-4-5', 'ok'],
    ]);
  });

  it('a stream that breaks after it started ends with an error part, not a clean finish', async () => {
    upstream.script('gpt-4o-mini', { kind: 'streamError', afterEvents: 2, text: 'one two three four five six' });
    const errors: unknown[] = [];
    const result = streamText({ model: provider('up/gpt-4o-mini'), prompt: 'hello', onError: ({ error }) => void errors.push(error) });
    const types: string[] = [];
    for await (const part of result.fullStream) types.push(part.type);

    expect(types).toContain('text-delta');
    expect(types).toContain('error');
    expect(errors).toEqual([expect.objectContaining({ type: 'failed_dependency', code: 'stream_interrupted', statusCode: 502 })]);
    await eventually(async () => expect(await lastRow()).toMatchObject({ face: 'aisdk', stream: true, status: 'error', errorKind: 'stream_interrupted' }));
  });

  it('an unknown model raises the client’s GatewayModelNotFoundError, and the ledger records the refusal', async () => {
    const error = await generateText({ model: provider('nope/missing'), prompt: 'hi' }).catch((reason: unknown) => reason);

    expect(GatewayModelNotFoundError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 404, modelId: 'nope/missing' });
    expect(await lastRow()).toMatchObject({ face: 'aisdk', requestedModel: 'nope/missing', status: 'error', errorKind: 'model_not_found' });
  });
});

describe('file URLs in prompts', () => {
  it('fetches an image URL itself and sends the bytes upstream', async () => {
    const result = await generateText({
      model: provider('up/gpt-4o-mini'),
      messages: [{ role: 'user', content: [{ type: 'text', text: 'describe' }, { type: 'image', image: new URL(`${files.url}/cat.png`) }] }],
    });

    expect(result.text).toBe('Echo: describe');
    const sent = upstream.requests.at(-1)!.body as { messages: Array<{ content: Array<{ type: string; image_url?: { url: string } }> }> };
    const image = sent.messages[0]!.content.find((part) => part.type === 'image_url');
    expect(image?.image_url?.url).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
  });

  it('refuses a redirect and a file over the size cap with the client’s GatewayInvalidRequestError', async () => {
    for (const [path, message] of [
      ['/redirect', /redirects are not followed/],
      ['/big.png', /larger than the limit of 4096 bytes/],
      ['/page.html', /only images and PDFs/],
    ] as const) {
      const error = await generateText({
        model: provider('up/gpt-4o-mini'),
        messages: [{ role: 'user', content: [{ type: 'image', image: new URL(`${files.url}${path}`) }] }],
      }).catch((reason: unknown) => reason);
      expect(GatewayInvalidRequestError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('by default refuses URLs on private and loopback addresses', async () => {
    const guarded = await startGateway({ mockPricing: true });
    try {
      const client = createGateway({ baseURL: `${guarded.url}/v3/ai`, apiKey: 'unused' });
      const error = await generateText({
        model: client('mock/echo'),
        messages: [{ role: 'user', content: [{ type: 'image', image: new URL(`${files.url}/cat.png`) }] }],
      }).catch((reason: unknown) => reason);
      expect(GatewayInvalidRequestError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/private, loopback or link-local address/);
    } finally {
      await guarded.close();
    }
  });
});

describe('other model kinds', () => {
  it('embed and embedMany on the mock provider report token usage and write ledger rows', async () => {
    const one = await embed({ model: provider.embeddingModel('mock/embed'), value: 'sunny day' });
    expect(one.embedding).toHaveLength(8);
    expect(one.usage).toEqual({ tokens: 2 });

    const many = await embedMany({ model: provider.embeddingModel('mock/embed'), values: ['a b', 'c d e'] });
    expect(many.embeddings).toHaveLength(2);
    expect(many.embeddings[0]).not.toEqual(many.embeddings[1]);
    expect(await lastRow()).toMatchObject({ face: 'aisdk', requestedModel: 'mock/embed', status: 'ok', usage: { input: 5 } });
  });

  it('rerank on the mock provider ranks the documents best first', async () => {
    const result = await rerank({ model: provider.rerankingModel('mock/rerank'), query: 'cat food', documents: ['dog toys', 'cat food bowl', 'cat'], topN: 2 });

    expect(result.ranking.map((entry) => entry.originalIndex)).toEqual([1, 2]);
    expect(result.rerankedDocuments).toEqual(['cat food bowl', 'cat']);
    expect(await lastRow()).toMatchObject({ face: 'aisdk', requestedModel: 'mock/rerank', status: 'ok' });
  });

  it('generateImage on the mock provider returns PNGs and the cost per image', async () => {
    const result = await generateImage({ model: provider.imageModel('mock/image'), prompt: 'a red square', n: 2, size: '64x64' });

    expect(result.images).toHaveLength(2);
    expect(result.images[0]!.mediaType).toBe('image/png');
    expect(Buffer.from(result.images[0]!.uint8Array.slice(0, 4)).toString('hex')).toBe('89504e47');
    expect(result.providerMetadata.gateway).toMatchObject({ cost: '0.02', routing: { finalProvider: 'mock' } });
    expect(await lastRow()).toMatchObject({ face: 'aisdk', requestedModel: 'mock/image', costNanos: nanos(0.02) });
  });

  it('speech and transcription on the mock provider', async () => {
    const speech = await generateSpeech({ model: provider.speechModel('mock/speak'), text: 'hello there', voice: 'alloy' });
    expect(speech.audio.uint8Array.byteLength).toBeGreaterThan(44);
    expect(await lastRow()).toMatchObject({ face: 'aisdk', requestedModel: 'mock/speak', status: 'ok' });

    const transcript = await transcribe({ model: provider.transcriptionModel('mock/transcribe'), audio: speech.audio.uint8Array });
    expect(typeof transcript.text).toBe('string');
    expect(await lastRow()).toMatchObject({ face: 'aisdk', requestedModel: 'mock/transcribe', status: 'ok' });
  });
});

describe('metadata endpoints', () => {
  it('getAvailableModels() reads the catalog from /v3/ai/config', async () => {
    const { models } = await provider.getAvailableModels();
    const byId = new Map(models.map((model) => [model.id, model]));

    expect(byId.get('mock/echo')).toMatchObject({ modelType: 'language', specification: { specificationVersion: 'v3', provider: 'mock', modelId: 'mock/echo' } });
    expect(byId.get('mock/embed')?.modelType).toBe('embedding');
    expect(byId.get('mock/image')?.modelType).toBe('image');
    expect(byId.get('up/gpt-4o-mini')?.pricing).toEqual({ input: '0.00000015', output: '0.0000006' });
  });

  it('getCredits() reads /v1/credits: an unlimited balance without a budget, and what was spent', async () => {
    const credits = await provider.getCredits();
    expect(credits.balance).toBe('Infinity');
    const spent = (await gateway.ledger.requests()).reduce((sum, row) => sum + (row.costNanos ?? 0), 0);
    expect(Math.round(Number(credits.totalUsed) * 1e9)).toBe(spent);
  });
});

describe('protocol edges', () => {
  it('a wrong API key raises the client’s GatewayAuthenticationError', async () => {
    const authed = await startGateway({ mockPricing: true }, { env: { TOLLGATE_ADMIN_KEY: 'admin-secret-key' } });
    try {
      const wrong = createGateway({ baseURL: `${authed.url}/v3/ai`, apiKey: 'not-the-key' });
      const error = await wrong.getAvailableModels().catch((reason: unknown) => reason);
      expect(GatewayAuthenticationError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ statusCode: 401, type: 'authentication_error' });
      // `ai` replaces the client's authentication error with its own advice, under the same name.
      const wrapped = await generateText({ model: wrong('mock/echo'), prompt: 'hi' }).catch((reason: unknown) => reason);
      expect(wrapped).toMatchObject({ name: 'GatewayAuthenticationError' });

      const right = createGateway({ baseURL: `${authed.url}/v3/ai`, apiKey: 'admin-secret-key' });
      expect((await generateText({ model: right('mock/echo'), prompt: 'hi' })).text).toBe('Echo: hi');
    } finally {
      await authed.close();
    }
  });

  it('refuses the v2 (/v1/ai) and v4 (/v4/ai) protocol paths, another spec version, and unknown model kinds', async () => {
    const post = async (path: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"prompt":[]}' });
      return { status: response.status, body: (await response.json()) as { error: { type: string; message: string } } };
    };
    const v2 = await post('/v1/ai/language-model');
    expect(v2.status).toBe(400);
    expect(v2.body.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringMatching(/specification v3 only, at \/v3\/ai .*\/v1\/ai \(specification v2, ai@5\)/) });
    expect((await post('/v4/ai/language-model')).status).toBe(400);

    const mismatch = await post('/v3/ai/language-model', { 'ai-language-model-id': 'mock/echo', 'ai-language-model-specification-version': '2' });
    expect(mismatch.body.error.message).toMatch(/the client sent v2/);

    const video = await post('/v3/ai/video-model', { 'ai-model-id': 'mock/echo' });
    expect(video.status).toBe(404);
    expect(video.body.error.type).toBe('invalid_request_error');
  });
});

async function startFileServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    switch (req.url) {
      case '/cat.png':
        return res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length }).end(PNG);
      case '/big.png':
        return res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(5000));
      case '/page.html':
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hi</p>');
      case '/redirect':
        return res.writeHead(302, { location: '/cat.png' }).end();
      default:
        return res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
