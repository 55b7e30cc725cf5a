import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/**
 * Per-request BYOK (`providerOptions.gateway.byok`): the caller's own key serves that request
 * only, is never stored, logged or echoed, the ledger marks the request, a key may forbid it, and
 * a base URL the caller brings must be public.
 */
const ADMIN_KEY = 'tg_admin_byok_test_key_000000000000';
const CONFIGURED = 'operator-key-1234abcd';
const CANARY = 'sk-byok-canary-5f3a9c1e7d2b4086';
let upstream: StartedUpstream;
let gateway: TestGateway;
let canary: { url: string; hits: string[]; server: Server };
const logLines: string[] = [];

beforeAll(async () => {
  upstream = await startUpstream({ apiKeys: [CONFIGURED, CANARY, CANARY.replace('5f3a', '0000')] });
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  canary = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  gateway = await startGateway(
    {
      routing: { retries: 0 },
      providers: {
        host: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: CONFIGURED },
        claude: { kind: 'anthropic', baseURL: upstream.url, apiKey: CONFIGURED },
      },
    },
    { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY }, logger: pino({ level: 'trace' }, sink) },
  );
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  await new Promise((resolve) => canary?.server.close(resolve));
});

const byok = (keys: Record<string, Array<{ apiKey: string; baseURL?: string }>>) => ({ providerOptions: { gateway: { byok: keys } } });
const keyOf = (recorded: StartedUpstream['requests'][number]) => recorded.headers['x-api-key'] ?? recorded.headers.authorization?.replace(/^Bearer /, '');
const byokColumn = async () => (await gateway.ledger.requests()).map((row) => [row.requestedModel, row.byok]);

async function chat(body: object, key = ADMIN_KEY) {
  const response = await request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
  return { status: response.statusCode, text: await response.body.text() };
}

describe('per-request BYOK', () => {
  it("sends the caller's key upstream for that request only, on the passthrough and the AI SDK paths, and marks the ledger row", async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
    await client.chat.completions.create({ model: 'host/b1', messages: [{ role: 'user', content: 'hi' }], ...byok({ host: [{ apiKey: CANARY }] }) });
    await client.chat.completions.create({ model: 'host/b2', messages: [{ role: 'user', content: 'hi' }] });
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: ADMIN_KEY, maxRetries: 0 });
    await anthropic.messages.create({
      model: 'claude/b3',
      max_tokens: 30,
      messages: [{ role: 'user', content: 'hi' }],
      // @ts-expect-error Tollgate's extension of the body
      providerOptions: { gateway: { byok: { claude: [{ apiKey: CANARY }] } } },
    });
    expect(['b1', 'b2', 'b3'].map((model) => keyOf(upstream.requests.find((recorded) => recorded.model === model)!))).toEqual([CANARY, CONFIGURED, CANARY]);
    expect(await byokColumn()).toEqual([
      ['host/b1', true],
      ['host/b2', false],
      ['claude/b3', true],
    ]);
  });

  it('tries each of several own keys in order', async () => {
    upstream.script('b4', [{ kind: 'error', status: 503 }, { kind: 'ok' }]);
    const { status } = await chat({ model: 'host/b4', ...byok({ host: [{ apiKey: CANARY }, { apiKey: CANARY.replace('5f3a', '0000') }] }) });
    expect(status).toBe(200);
    expect(upstream.requests.filter((recorded) => recorded.model === 'b4').map(keyOf)).toEqual([CANARY, CANARY.replace('5f3a', '0000')]);
  });

  it('never lets the key reach the client, the ledger, the request log or the logs, even when the upstream echoes it', async () => {
    upstream.script('b5', { kind: 'error', status: 401, body: { error: { message: `Incorrect API key provided: ${CANARY}.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } });
    const answer = await chat({ model: 'host/b5', ...byok({ host: [{ apiKey: CANARY }] }) });
    expect(answer.status).toBe(502);
    expect(answer.text).toMatch(/Incorrect API key provided/);
    const listed = await request(`${gateway.url}/v1/requests?limit=100`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const sinks = [answer.text, await listed.body.text(), JSON.stringify((await gateway.ledger.requests())), JSON.stringify((await gateway.ledger.attempts())), logLines.join('')];
    expect(logLines.length).toBeGreaterThan(0);
    for (const sink of sinks) expect(sink).not.toContain(CANARY);
  });

  it('is refused with 403 for a key made with allowByok: false, before any upstream call', async () => {
    const created = await request(`${gateway.url}/v1/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'no-byok', allowByok: false }),
    });
    expect(created.statusCode).toBe(201);
    const record = (await created.body.json()) as { key: string; allowByok: boolean };
    expect(record.allowByok).toBe(false);
    const before = upstream.requests.length;
    const refused = await chat({ model: 'host/b6', ...byok({ host: [{ apiKey: CANARY }] }) }, record.key);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text).error).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/may not bring its own provider keys/) });
    expect(refused.text).not.toContain(CANARY);
    expect((await chat({ model: 'host/b6' }, record.key)).status).toBe(200);
    expect(upstream.requests.length).toBe(before + 1);
  });

  it('refuses a base URL on a private, loopback or link-local address, and a provider that is not configured', async () => {
    for (const baseURL of [`${canary.url}/v1`, 'http://169.254.169.254/latest', 'http://[::1]:9/v1', 'http://10.0.0.8/v1', 'ftp://example.com/v1']) {
      const answer = await chat({ model: 'host/b7', ...byok({ host: [{ apiKey: CANARY, baseURL }] }) });
      expect(answer.status).toBe(400);
      expect(answer.text).toMatch(/providerOptions\.gateway\.byok/);
    }
    const unknown = await chat({ model: 'host/b7', ...byok({ nowhere: [{ apiKey: CANARY }] }) });
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text).error.message).toMatch(/names provider "nowhere", which is not configured/);
    expect(canary.hits).toEqual([]);
    expect(upstream.requests.filter((recorded) => recorded.model === 'b7')).toEqual([]);
  });

  it('follows a private base URL only where config allows it (routing.byok.allowPrivateBaseURL)', async () => {
    const other = await startUpstream({ apiKeys: [CANARY] });
    const trusting = await startGateway({
      providers: { host: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: CONFIGURED } },
      routing: { byok: { allowPrivateBaseURL: true } },
    });
    try {
      const response = await request(`${trusting.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'host/b8', messages: [{ role: 'user', content: 'hi' }], ...byok({ host: [{ apiKey: CANARY, baseURL: `${other.url}/v1` }] }) }),
      });
      expect(response.statusCode).toBe(200);
      expect(other.requests.map((recorded) => [recorded.model, keyOf(recorded)])).toEqual([['b8', CANARY]]);
    } finally {
      await trusting.close();
      await other.close();
    }
  });
});
