import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

/**
 * Hard budgets through the real server: admission holds a request's worst case, settlement
 * charges the real cost, and a request that cannot fit gets 402 before any upstream call.
 */
let upstream: StartedUpstream;
beforeAll(async () => {
  upstream = await startUpstream({ latencyMs: 20 });
});
afterAll(() => upstream?.close());

const open: TestGateway[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((gateway) => gateway.close()));
  upstream.reset();
});

/** $1 per million tokens in and out: a request of 10 in + 1,000 out costs $0.00101. */
const PRICED = { pricing: { input: 1, output: 1 } };
const providers = (url: string) => ({ up: { kind: 'openai-compatible' as const, baseURL: `${url}/v1`, apiKey: 'k', models: { m: PRICED } } });

async function gatewayWith(budgets: unknown[], clock?: () => Date) {
  const gateway = await startGateway({ providers: providers(upstream.url), budgets: budgets as never, mock: false }, clock ? { clock } : {});
  open.push(gateway);
  return gateway;
}

function chat(gateway: TestGateway, body: Record<string, unknown>) {
  return request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: 'hi' }], ...body }),
  }).then(async (response) => ({ status: response.statusCode, body: (await response.body.json()) as Record<string, any> }));
}

const sumNanos = async (gateway: TestGateway) => (await gateway.ledger.requests()).reduce((total, row) => total + (row.costNanos ?? 0), 0);

describe('budgets', () => {
  it('200 concurrent requests against a global budget that fits 10: never more than one request over, ledger equals counter', async () => {
    // Every answer costs what its worst case says: 10 tokens in, max_tokens out.
    upstream.script('m', { kind: 'usage', usage: { inputTokens: 10, outputTokens: 1000 } });
    const perRequestNanos = 1_010_000 * 1; // (10 + 1000) tokens × $1e-6 = $0.00101
    const gateway = await gatewayWith([{ scope: 'global', limitUsd: (10 * perRequestNanos) / 1e9, period: 'day' }]);
    const results = await Promise.all(Array.from({ length: 200 }, () => chat(gateway, { max_tokens: 1000 })));

    const ok = results.filter((result) => result.status === 200).length;
    const refused = results.filter((result) => result.status === 402);
    expect(ok + refused.length).toBe(200);
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(10);
    expect(refused[0]!.body.error).toMatchObject({ type: 'insufficient_budget', code: 'insufficient_budget' });
    expect(refused[0]!.body.error.message).toMatch(/is more than what is left \(\$[\d.]+ of \$0\.0101 per day/);

    const spent = await sumNanos(gateway);
    expect(spent).toBeLessThanOrEqual(10 * perRequestNanos + perRequestNanos);
    // Refused requests never reached the upstream.
    expect(upstream.requests).toHaveLength(ok);
    const [status] = await gateway.server.gateway.budgetStatus(undefined);
    expect(status).toMatchObject({ scope: 'global', reservedUsd: 0 });
    expect(Math.round(status!.spentUsd * 1e9)).toBe(spent);
  });

  it('refuses before any upstream call with how much is left and when it resets, for a user budget', async () => {
    upstream.script('m', { kind: 'usage', usage: { inputTokens: 10, outputTokens: 100 } });
    const gateway = await gatewayWith([{ scope: 'user', id: 'alice', limitUsd: 0.0003, period: 'month' }]);
    const alice = { providerOptions: { gateway: { user: 'alice' } }, max_tokens: 100 };
    expect((await chat(gateway, alice)).status).toBe(200); // holds ~$0.000111, charges $0.00011
    expect((await chat(gateway, alice)).status).toBe(200);
    const third = await chat(gateway, alice);
    expect(third.status).toBe(402);
    expect(third.body.error.message).toMatch(/user "alice"/);
    expect(third.body.error.message).toMatch(/resets \d{4}-\d{2}-01T00:00:00\.000Z/);
    expect(upstream.requests).toHaveLength(2);
    // Bob is not alice: his requests are not held against her budget.
    expect((await chat(gateway, { providerOptions: { gateway: { user: 'bob' } }, max_tokens: 100 })).status).toBe(200);
    // The OpenAI client surfaces the 402 as an APIError with the body's type.
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const error = await client.chat.completions
      .create({ model: 'up/m', messages: [{ role: 'user', content: 'x' }], max_tokens: 100, user: 'alice' })
      .catch((caught: unknown) => caught);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect((error as InstanceType<typeof OpenAI.APIError>).type).toBe('insufficient_budget');
  });

  it('holds a tag budget against requests that carry the tag only', async () => {
    upstream.script('m', { kind: 'usage', usage: { inputTokens: 10, outputTokens: 100 } });
    const gateway = await gatewayWith([{ scope: 'tag', id: 'batch', limitUsd: 0.0002, period: 'week' }]);
    const tagged = { providerOptions: { gateway: { tags: ['batch', 'nightly'] } }, max_tokens: 100 };
    expect((await chat(gateway, tagged)).status).toBe(200);
    expect((await chat(gateway, tagged)).status).toBe(402);
    expect((await chat(gateway, { max_tokens: 100 })).status).toBe(200);
  });

  it('releases the hold of a failed request: it costs nothing', async () => {
    upstream.script('m', [{ kind: 'error', status: 400 }, { kind: 'usage', usage: { inputTokens: 10, outputTokens: 100 } }]);
    const gateway = await gatewayWith([{ scope: 'global', limitUsd: 0.0002, period: 'day' }]);
    expect((await chat(gateway, { max_tokens: 100 })).status).toBe(400);
    expect((await chat(gateway, { max_tokens: 100 })).status).toBe(200);
    expect((await gateway.server.gateway.budgetStatus(undefined))[0]).toMatchObject({ reservedUsd: 0, spentUsd: 0.00011 });
  });

  it('rolls over at the period boundary (UTC day), with the clock moved', async () => {
    upstream.script('m', { kind: 'usage', usage: { inputTokens: 10, outputTokens: 100 } });
    let now = new Date('2026-03-10T23:59:00Z');
    const gateway = await gatewayWith([{ scope: 'global', limitUsd: 0.0002, period: 'day' }], () => now);
    expect((await chat(gateway, { max_tokens: 100 })).status).toBe(200);
    const refused = await chat(gateway, { max_tokens: 100 });
    expect(refused.status).toBe(402);
    expect(refused.body.error.message).toMatch(/resets 2026-03-11T00:00:00\.000Z/);
    now = new Date('2026-03-11T00:00:01Z');
    expect((await chat(gateway, { max_tokens: 100 })).status).toBe(200);
    expect((await gateway.server.gateway.budgetStatus(undefined))[0]).toMatchObject({ periodStart: '2026-03-11T00:00:00.000Z', spentUsd: 0.00011 });
  });

  it('starts from what the ledger already holds after a restart', async () => {
    upstream.script('m', { kind: 'usage', usage: { inputTokens: 10, outputTokens: 100 } });
    const budget = [{ scope: 'global', limitUsd: 0.0003, period: 'total' }];
    const first = await gatewayWith(budget);
    expect((await chat(first, { max_tokens: 100 })).status).toBe(200);
    expect((await chat(first, { max_tokens: 100 })).status).toBe(200);
    // Same data folder, new process state: the budget counter comes back from the ledger.
    const { startServer } = await import('../../src/server.js');
    const { parseConfig } = await import('../../src/config/load.js');
    await first.server.close();
    const second = await startServer({ config: parseConfig({ providers: providers(upstream.url), budgets: budget as never, mock: false }, {}), dataDir: first.dataDir, port: 0, host: '127.0.0.1', logLevel: 'silent' });
    try {
      expect((await second.gateway.budgetStatus(undefined))[0]).toMatchObject({ spentUsd: 0.00022, reservedUsd: 0, resetsAt: null });
      const response = await request(`${second.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'up/m', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] }) });
      expect(response.statusCode).toBe(402);
      await response.body.dump();
    } finally {
      await second.close();
    }
  });
});

describe('rate limits', () => {
  it('refuses the request over a model RPM with 429, retry-after and x-ratelimit headers', async () => {
    const gateway = await startGateway({ rateLimits: { 'mock/echo': { rpm: 3 } } });
    open.push(gateway);
    const send = () =>
      request(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }] }) });
    const first = await send();
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-ratelimit-limit-requests']).toBe('3');
    expect(first.headers['x-ratelimit-remaining-requests']).toBe('2');
    await first.body.dump();
    for (let index = 0; index < 2; index++) await (await send()).body.dump();
    const refused = await send();
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['x-ratelimit-remaining-requests']).toBe('0');
    const body = (await refused.body.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
    expect(body.error.message).toMatch(/3 requests per minute/);
  });

  it('holds TPM at admission (input estimate + max_tokens) and refuses what cannot fit', async () => {
    const gateway = await startGateway({ rateLimits: { 'mock/echo': { tpm: 250 } } });
    open.push(gateway);
    const send = (maxTokens: number) =>
      request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/echo', max_tokens: maxTokens, messages: [{ role: 'user', content: 'hello' }] }),
      });
    const first = await send(150);
    expect(first.statusCode).toBe(200);
    await first.body.dump();
    // The first used far fewer tokens than it held: reconciled, so a second 150 fits.
    const second = await send(150);
    expect(second.statusCode).toBe(200);
    await second.body.dump();
    const tooBig = await send(190);
    expect(tooBig.statusCode).toBe(429);
    expect(((await tooBig.body.json()) as { error: { message: string } }).error.message).toMatch(/tokens per minute/);
  });
});

describe('budget threshold webhooks', () => {
  it('POSTs signed budget.threshold events at 50, 80 and 100 %, once each, recorded as delivered', async () => {
    const { startReceiver } = await import('../policy/webhooks/receiver.js');
    const { verifyWebhook } = await import('../../src/policy/webhooks/index.js');
    const receiver = await startReceiver();
    const secret = `whsec_${Buffer.from('a-test-secret-of-thirty-two-bytes!').toString('base64')}`;
    // $0.00025 each, more than the hold: the fourth request takes the budget to 100 %.
    upstream.script('m', { kind: 'usage', usage: { inputTokens: 160, outputTokens: 90 } });
    const gateway = await startGateway({
      providers: providers(upstream.url),
      budgets: [{ scope: 'global', limitUsd: 0.001, period: 'month' }],
      webhooks: [{ url: `${receiver.url}/hooks`, secret, events: ['budget.threshold'] }],
      mock: false,
    });
    open.push(gateway);
    try {
      for (let index = 0; index < 12; index++) await chat(gateway, { max_tokens: 90 });
      await gateway.server.app.events.idle();
      const events = receiver.received.map((received) => {
        const verified = verifyWebhook(secret, received.headers, received.body);
        expect(verified.ok).toBe(true);
        return JSON.parse(received.body) as { type: string; data: { threshold: number; scope: string; limitUsd: number } };
      });
      expect(events.map((event) => [event.type, event.data.threshold])).toEqual([
        ['budget.threshold', 0.5],
        ['budget.threshold', 0.8],
        ['budget.threshold', 1],
      ]);
      expect(events[0]!.data).toMatchObject({ scope: 'global', limitUsd: 0.001 });
      const deliveries = await gateway.server.app.store.webhooks.listRecent();
      expect(deliveries.map(({ eventType, status, attempts }) => ({ eventType, status, attempts }))).toEqual(
        Array.from({ length: 3 }, () => ({ eventType: 'budget.threshold', status: 'delivered', attempts: 1 })),
      );
    } finally {
      await receiver.close();
    }
  });
});
