import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock, recordingSleep, startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/**
 * Key pools: a provider with several API keys spreads requests over them, and a key answered
 * with 429 rests for its retry-after while the others serve, with no error the client sees.
 * A proxy in front of the loopback upstream answers 429 to the keys a test names, in the
 * provider's own error shape, and passes every other request through.
 */
let upstream: StartedUpstream;
let proxy: Server;
let proxyUrl: string;
const storming = new Set<string>();
const KEYS = ['pool-key-one-1111', 'pool-key-two-2222', 'pool-key-three-3333'];
const clock = manualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
const { sleep } = recordingSleep();
let gateway: TestGateway;

beforeAll(async () => {
  upstream = await startUpstream({ apiKeys: KEYS });
  proxy = createServer((req, res) => {
    const key = (req.headers['x-api-key'] as string | undefined) ?? req.headers.authorization?.replace(/^Bearer /, '');
    if (key && storming.has(key)) {
      const anthropic = req.url?.includes('/messages');
      const body = anthropic
        ? { type: 'error', error: { type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit' } }
        : { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } };
      req.resume();
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '20' }).end(JSON.stringify(body));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name !== 'host' && name !== 'content-length')) as Record<string, string>;
      void fetch(`${upstream.url}${req.url}`, { method: req.method!, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) }).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      });
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  gateway = await startGateway(
    {
      routing: { retries: 0 },
      providers: {
        pool: { kind: 'openai-compatible', baseURL: `${proxyUrl}/v1`, apiKeys: KEYS },
        claude: { kind: 'anthropic', baseURL: proxyUrl, apiKey: KEYS[0], apiKeys: KEYS.slice(1) },
        spare: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: KEYS[0] },
      },
    },
    { clock: clock.now, sleep },
  );
});
afterAll(async () => {
  await gateway?.close();
  await new Promise((resolve) => proxy?.close(resolve));
  await upstream?.close();
});

const keysUsed = (model: string) =>
  upstream.requests.filter((request) => request.model === model).map((request) => request.headers['x-api-key'] ?? request.headers.authorization?.replace(/^Bearer /, ''));
const openai = () => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });

describe('a key pool', () => {
  it('spreads requests over its keys in turn', async () => {
    for (let index = 0; index < 6; index++) await openai().chat.completions.create({ model: 'pool/spread', messages: [{ role: 'user', content: 'hi' }] });
    expect(keysUsed('spread')).toEqual([...KEYS, ...KEYS]);
  });

  it("survives one key's 429 storm with no error the client sees; the key rests for its retry-after, then serves again", async () => {
    storming.add(KEYS[1]!);
    try {
      for (let index = 0; index < 9; index++) {
        const answer = await openai().chat.completions.create({ model: 'pool/storm', messages: [{ role: 'user', content: 'hi' }] });
        expect(answer.choices[0]!.message.content).toBe('Echo: hi');
      }
      // The storming key was tried once, then rested: every answer came from the other two.
      expect(keysUsed('storm')).toHaveLength(9);
      expect(keysUsed('storm')).not.toContain(KEYS[1]);
      const failed = (await gateway.ledger.attempts()).filter((row) => row.model === 'pool/storm' && row.status === 'error');
      expect(failed.map((row) => [row.errorKind, row.upstreamStatus])).toEqual([['upstream_rate_limited', 429]]);
      expect((await gateway.ledger.requests()).filter((row) => row.requestedModel === 'pool/storm').every((row) => row.status === 'ok')).toBe(true);
    } finally {
      storming.delete(KEYS[1]!);
    }
    clock.advance(20_000);
    for (let index = 0; index < 3; index++) await openai().chat.completions.create({ model: 'pool/storm', messages: [{ role: 'user', content: 'hi' }] });
    expect(keysUsed('storm').slice(-3)).toContain(KEYS[1]);
  });

  it('serves a stream through the AI SDK path while a key of the pool is refused', async () => {
    storming.add(KEYS[0]!);
    try {
      const client = new Anthropic({ baseURL: gateway.url, apiKey: 'unused', maxRetries: 0 });
      for (let index = 0; index < 3; index++) {
        const stream = client.messages.stream({ model: 'claude/stream-pool', max_tokens: 50, messages: [{ role: 'user', content: 'hello there' }] });
        expect(await stream.finalText()).toBe('Echo: hello there');
      }
      expect(keysUsed('stream-pool')).toEqual([KEYS[1], KEYS[2], KEYS[1]]);
    } finally {
      storming.delete(KEYS[0]!);
    }
  });

  it('falls back to the next model once every key rests, and answers 429 with retry-after when nothing else is left', async () => {
    KEYS.forEach((key) => storming.add(key));
    try {
      const served = await openai().chat.completions.create({
        model: 'pool/all-rest',
        messages: [{ role: 'user', content: 'hi' }],
        // @ts-expect-error Tollgate's extension of the body
        providerOptions: { gateway: { models: ['spare/backup'] } },
      });
      expect(served.choices[0]!.message.content).toBe('Echo: hi');
      expect(keysUsed('backup')).toEqual([KEYS[0]]);
      expect((await gateway.ledger.requests()).at(-1)).toMatchObject({ requestedModel: 'pool/all-rest', servedModel: 'spare/backup', status: 'ok' });
      const refused = (await openai()
        .chat.completions.create({ model: 'pool/all-rest', messages: [{ role: 'user', content: 'hi' }] })
        .catch((error: unknown) => error)) as InstanceType<typeof OpenAI.APIError>;
      expect(refused.status).toBe(429);
      expect(refused.message).toMatch(/every API key of provider pool is resting after a 429; retry in 20 s/);
      expect(refused.headers?.get('retry-after')).toBe('20');
      // No key appears in what the client or the ledger sees.
      const ledger = JSON.stringify([(await gateway.ledger.requests()), (await gateway.ledger.attempts())]);
      for (const key of KEYS) {
        expect(refused.message).not.toContain(key);
        expect(ledger).not.toContain(key);
      }
    } finally {
      KEYS.forEach((key) => storming.delete(key));
      clock.advance(20_000);
    }
  });
});
