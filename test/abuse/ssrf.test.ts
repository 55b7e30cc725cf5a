/**
 * No request can make the gateway call a URL its config did not name. A loopback "canary"
 * server stands for everything the gateway must not reach; requests try to steer the gateway
 * there through model ids, base-URL fields in bodies, provider options, headers and file URLs.
 * The canary must receive nothing, and the configured upstream only its own API paths.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { ANTHROPIC_VERSION, shapeProblem, type Shape } from './support.js';

const TIMEOUT_MS = 10_000;
let canary: { url: string; hits: string[]; server: Server };
let upstream: StartedUpstream;
let gateway: TestGateway;
let agent: Agent;

/** Every path the configured providers may be called on (their own APIs, nothing else). */
const UPSTREAM_PATHS = [
  /^\/v1\/(chat\/completions|embeddings|images\/generations|audio\/speech|audio\/transcriptions|messages|responses)$/,
  // Gemini puts the model id in the path (`models/{id}`, or the id itself when it has a slash).
  /^\/v1beta\/(?!.*(^|\/)\.{1,2}(\/|:))[A-Za-z0-9._+:@-]+(\/[A-Za-z0-9._+:@-]+)*:(generateContent|streamGenerateContent|embedContent|batchEmbedContents|predict)$/,
  /^\/v2\/(chat|embed|rerank)$/,
];

beforeAll(async () => {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url} host=${req.headers.host}`);
    res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  canary = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
  upstream = await startUpstream();
  const base = upstream.url;
  gateway = await startGateway({
    providers: {
      up: { kind: 'openai-compatible', baseURL: `${base}/v1`, apiKey: 'k', models: { m: {}, e: { type: 'embedding' } } },
      oa: { kind: 'openai', baseURL: `${base}/v1`, apiKey: 'k', models: { 'gpt-4o-mini': {} } },
      claude: { kind: 'anthropic', baseURL: `${base}/v1`, apiKey: 'k', models: { 'claude-sonnet-4-5': {} } },
      gem: { kind: 'google', baseURL: `${base}/v1beta`, apiKey: 'k', models: { 'gemini-2.5-flash': {} } },
      co: { kind: 'cohere', baseURL: `${base}/v2`, apiKey: 'k', models: { 'rerank-v3.5': { type: 'reranking' } } },
    },
  });
  agent = new Agent({ headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
});
afterAll(async () => {
  await agent?.close();
  await gateway?.close();
  await upstream?.close();
  await new Promise<void>((resolve) => (canary ? canary.server.close(() => resolve()) : resolve()));
});

interface Attempt {
  path: string;
  shape: Shape;
  headers?: Record<string, string>;
  body: unknown;
}

const statuses: string[] = [];

async function attempt({ path, shape, headers = {}, body }: Attempt): Promise<number> {
  const response = await request(`${gateway.url}${path}`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await response.body.text();
  // Whatever the answer, it is never a 5xx, and a refusal is in the face's shape.
  expect(response.statusCode, `${path} ${JSON.stringify(body).slice(0, 200)} → ${text.slice(0, 300)}`).toBeLessThan(500);
  if (response.statusCode >= 400) expect(shapeProblem(shape, JSON.parse(text)), text).toBeNull();
  statuses.push(`${response.statusCode} ${path} ${String((body as { model?: unknown }).model ?? headers['ai-language-model-id'])} ${response.statusCode >= 400 ? text.slice(0, 160) : ''}`);
  return response.statusCode;
}

/** The canary saw nothing, and the upstream only its own API paths. */
function expectNothingEscaped(): void {
  expect(canary.hits).toEqual([]);
  const strays = upstream.requests.filter((recorded) => !UPSTREAM_PATHS.some((pattern) => pattern.test(recorded.path)));
  expect(strays.map((recorded) => `${recorded.method} ${recorded.path}?${recorded.query}`)).toEqual([]);
}

const hostile = () => {
  const { host } = new URL(canary.url);
  return [
    `http://${host}/x`,
    `//${host}/x`,
    `../../admin`,
    `..%2f..%2fadmin`,
    `%2e%2e`,
    `%2e%2e/%2e%2e/admin`,
    `m/../../../x`,
    `m?x=${canary.url}`,
    `m#@${host}`,
    `@${host}/x`,
    `m:generateContent?url=${canary.url}`,
  ];
};

describe('model ids cannot steer the gateway to another host or path', () => {
  it('URL-ish and path-traversal model ids on every provider and face reach nothing but the configured APIs', async () => {
    const providers = ['up', 'oa', 'claude', 'gem', 'co'];
    let sent = 0;
    for (const provider of providers) {
      for (const suffix of hostile()) {
        const model = `${provider}/${suffix}`;
        await attempt({ path: '/v1/chat/completions', shape: 'openai', body: { model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] } });
        await attempt({ path: '/v1/messages', shape: 'anthropic', headers: ANTHROPIC_VERSION, body: { model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] } });
        await attempt({ path: '/v1/responses', shape: 'openai', body: { model, input: 'hi' } });
        await attempt({ path: '/v1/embeddings', shape: 'openai', body: { model, input: 'hi' } });
        await attempt({ path: '/v1/rerank', shape: 'openai', body: { model, query: 'q', documents: ['a'] } });
        await attempt({ path: '/v1/images/generations', shape: 'openai', body: { model, prompt: 'p' } });
        await attempt({ path: '/v1/audio/speech', shape: 'openai', body: { model, input: 'hi', voice: 'alloy' } });
        await attempt({ path: '/v3/ai/language-model', shape: 'aisdk', headers: { 'ai-language-model-id': model }, body: { prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] } });
        sent += 8;
      }
      // Model ids as whole URLs, without a provider prefix of ours.
      await attempt({ path: '/v1/chat/completions', shape: 'openai', body: { model: `${canary.url}/v1`, messages: [{ role: 'user', content: 'hi' }] } });
      sent++;
    }
    expect(sent).toBeGreaterThan(400);
    expectNothingEscaped();
  }, 60_000);
});

describe('base-URL fields and headers in a request are not followed', () => {
  it('base_url, api_base, baseURL in bodies and provider options, and custom-host headers reach nothing but the configured APIs', async () => {
    upstream.requests.length = 0;
    const target = `${canary.url}/v1`;
    const fields = { base_url: target, api_base: target, baseURL: target, baseUrl: target, api_url: target, endpoint: target, url: target, host: new URL(canary.url).host };
    const providerOptions = {
      openai: { baseURL: target, headers: { host: 'evil' } },
      anthropic: { baseURL: target },
      google: { baseURL: target },
      up: { baseURL: target },
      oa: { baseURL: target },
      gateway: { baseURL: target, order: ['up'] },
    };
    const headers = {
      'x-portkey-custom-host': target,
      'x-portkey-provider': 'openai',
      'x-base-url': target,
      'x-forwarded-host': new URL(canary.url).host,
      'openai-base-url': target,
      'anthropic-base-url': target,
      'x-goog-api-base': target,
    };
    const models = ['up/m', 'oa/gpt-4o-mini', 'claude/claude-sonnet-4-5', 'gem/gemini-2.5-flash'];
    let answered = 0;
    for (const model of models) {
      const withHeaders = { ...headers };
      if ((await attempt({ path: '/v1/chat/completions', shape: 'openai', headers: withHeaders, body: { model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }], ...fields, providerOptions, extra_body: fields } })) === 200) answered++;
      if ((await attempt({ path: '/v1/chat/completions', shape: 'openai', headers: withHeaders, body: { model, stream: true, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }], ...fields, providerOptions } })) === 200) answered++;
      if ((await attempt({ path: '/v1/messages', shape: 'anthropic', headers: { ...withHeaders, ...ANTHROPIC_VERSION }, body: { model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }], ...fields } })) === 200) answered++;
      if ((await attempt({ path: '/v1/responses', shape: 'openai', headers: withHeaders, body: { model, input: 'hi', ...fields } })) === 200) answered++;
      if (
        (await attempt({
          path: '/v3/ai/language-model',
          shape: 'aisdk',
          headers: { ...withHeaders, 'ai-language-model-id': model },
          body: { prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], providerOptions, headers: { host: new URL(canary.url).host }, ...fields },
        })) === 200
      )
        answered++;
    }
    await attempt({ path: '/v1/embeddings', shape: 'openai', headers, body: { model: 'up/e', input: 'hi', ...fields, providerOptions } });
    await attempt({ path: '/v1/rerank', shape: 'openai', headers, body: { model: 'co/rerank-v3.5', query: 'q', documents: ['a'], ...fields } });
    // A URL as a fallback model is refused like one as the model.
    const fallback = { model: 'up/m', messages: [{ role: 'user', content: 'hi' }], providerOptions: { gateway: { models: [`up/${canary.url}`, `gem/../../admin`] } } };
    expect(await attempt({ path: '/v1/chat/completions', shape: 'openai', body: fallback })).toBe(400);
    // The requests were served (by the configured upstream), so the fields had their chance.
    expect(answered, statuses.slice(-22).join('\n')).toBeGreaterThanOrEqual(models.length * 4);
    expect(upstream.requests.length).toBeGreaterThan(0);
    for (const recorded of upstream.requests) expect(recorded.headers.host).toBe(new URL(upstream.url).host);
    expectNothingEscaped();
  }, 60_000);
});

describe('URLs of files in prompts', () => {
  it('a private-address file URL through the AI SDK face is refused with 400, and never fetched', async () => {
    const { port } = new URL(canary.url);
    const urls = [
      `${canary.url}/cat.png`,
      `http://localhost:${port}/cat.png`,
      `http://[::1]:${port}/cat.png`,
      `http://[::ffff:127.0.0.1]:${port}/cat.png`,
      `http://2130706433:${port}/cat.png`,
      `http://0.0.0.0:${port}/cat.png`,
      `http://169.254.169.254/latest/meta-data/`,
      `file:///etc/passwd`,
    ];
    for (const url of urls) {
      const status = await attempt({
        path: '/v3/ai/language-model',
        shape: 'aisdk',
        headers: { 'ai-language-model-id': 'up/m' },
        body: { prompt: [{ role: 'user', content: [{ type: 'text', text: 'describe' }, { type: 'file', data: url, mediaType: 'image/png' }] }] },
      });
      expect(status, url).toBe(400);
    }
    expectNothingEscaped();
  }, 30_000);

  it('image and file URLs on the other faces are passed to the provider, not fetched by the gateway', async () => {
    const image = `${canary.url}/cat.png`;
    for (const model of ['up/m', 'oa/gpt-4o-mini', 'claude/claude-sonnet-4-5', 'mock/echo']) {
      await attempt({ path: '/v1/chat/completions', shape: 'openai', body: { model, max_tokens: 8, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: image } }] }] } });
      await attempt({
        path: '/v1/messages',
        shape: 'anthropic',
        headers: ANTHROPIC_VERSION,
        body: { model, max_tokens: 8, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image', source: { type: 'url', url: image } }] }] },
      });
      await attempt({
        path: '/v1/responses',
        shape: 'openai',
        body: { model, input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }, { type: 'input_image', image_url: image }, { type: 'input_file', file_url: `${canary.url}/a.pdf` }] }] },
      });
    }
    // Gemini takes file URLs too; the gateway must not fetch one on its behalf.
    await attempt({ path: '/v1/chat/completions', shape: 'openai', body: { model: 'gem/gemini-2.5-flash', max_tokens: 8, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: image } }] }] } });
    expect(canary.hits).toEqual([]);
  }, 30_000);
});
