import { Writable } from 'node:stream';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { eventually, startGateway, type TestGateway } from '../support/gateway.js';
import { deletePrefix, redisAvailable, testPrefix } from '../support/redis.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/**
 * Redis goes away (a proxy in front of it is cut): requests a budget, a rate limit or an
 * Idempotency-Key covers fail closed with 503 store_unavailable naming what is down, or with
 * `limits.onStoreOutage: "allow"` are served with one warning that limits are off. Requests
 * nothing covers are served either way, and all works again once Redis is back.
 */
const logLines: Array<{ level: number; msg: string }> = [];
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  }),
);

let proxy: TcpProxy;
const prefix = testPrefix();
const open: TestGateway[] = [];

beforeAll(async () => {
  if (!redisAvailable) return;
  proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
});
afterAll(async () => {
  await Promise.all(open.map((gateway) => gateway.close()));
  await proxy?.close();
  if (redisAvailable) await deletePrefix(prefix);
});

async function gatewayWith(onStoreOutage: 'deny' | 'allow'): Promise<TestGateway> {
  const config: ConfigInput = {
    store: { redis: `redis://127.0.0.1:${proxy.port}`, redisKeyPrefix: `${prefix}${onStoreOutage}:` },
    limits: { onStoreOutage },
    budgets: [{ scope: 'tag', id: 'metered', limitUsd: 1, period: 'day' }],
    rateLimits: { 'mock/embed': { rpm: 100 } },
  };
  const gateway = await startGateway(config, { logger });
  open.push(gateway);
  return gateway;
}

function post(gateway: TestGateway, path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return request(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then(async (response) => ({
    status: response.statusCode,
    body: (await response.body.json()) as { error?: { code: string; message: string; type: string } },
  }));
}
const metered = (gateway: TestGateway) => post(gateway, '/v1/chat/completions', { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }], providerOptions: { gateway: { tags: ['metered'] } } });
const free = (gateway: TestGateway, headers: Record<string, string> = {}) => post(gateway, '/v1/chat/completions', { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }, headers);
const limited = (gateway: TestGateway) => post(gateway, '/v1/embeddings', { model: 'mock/embed', input: 'hi' });

describe.skipIf(!redisAvailable)(`Redis unreachable${redisAvailable ? '' : ' (skipped: no Redis on 127.0.0.1:6379)'}`, () => {
  it('refuses what a budget or a rate limit covers with 503 store_unavailable, serves the rest, and recovers when Redis is back', async () => {
    const gateway = await gatewayWith('deny');
    expect((await metered(gateway)).status).toBe(200);
    expect((await limited(gateway)).status).toBe(200);

    await proxy.cut();
    const refused = await metered(gateway);
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: 'store_unavailable', type: 'api_error' });
    expect(refused.body.error!.message).toContain(`the budget cannot be checked: the policy store (Redis at 127.0.0.1:${proxy.port}) is unreachable`);
    expect(refused.body.error!.message).toContain('the request was not sent');
    const limitedRefusal = await limited(gateway);
    expect(limitedRefusal.status).toBe(503);
    expect(limitedRefusal.body.error!.message).toMatch(/^the rate limit cannot be checked/);
    // An Idempotency-Key cannot be honoured either.
    const keyed = await free(gateway, { 'idempotency-key': 'outage-1' });
    expect(keyed.status).toBe(503);
    expect(keyed.body.error!.message).toMatch(/^the Idempotency-Key cannot be checked/);
    // Nothing covers this one: served.
    expect((await free(gateway)).status).toBe(200);
    // The refusals are in the ledger, with their kind.
    expect((await gateway.ledger.requests()).filter((row) => row.errorKind === 'store_unavailable')).toHaveLength(2);

    await proxy.restore();
    await eventually(async () => expect((await metered(gateway)).status).toBe(200), 10_000);
    expect((await limited(gateway)).status).toBe(200);
  });

  it('refuses in the shape of each protocol: Anthropic Messages and a streamed OpenAI request', async () => {
    const gateway = await gatewayWith('deny');
    expect((await metered(gateway)).status).toBe(200);
    await proxy.cut();
    try {
      const anthropic = await request(`${gateway.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'ai-reporting-tags': 'metered' },
        body: JSON.stringify({ model: 'mock/echo', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(anthropic.statusCode).toBe(503);
      const anthropicBody = (await anthropic.body.json()) as { type: string; error: { type: string; message: string } };
      expect(anthropicBody.type).toBe('error');
      expect(anthropicBody.error.message).toContain(`the policy store (Redis at 127.0.0.1:${proxy.port}) is unreachable`);

      const streamed = await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'ai-reporting-tags': 'metered' },
        body: JSON.stringify({ model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      // Refused before any stream starts: a plain JSON error, not an event stream.
      expect(streamed.statusCode).toBe(503);
      expect(((await streamed.body.json()) as { error: { code: string } }).error.code).toBe('store_unavailable');
    } finally {
      await proxy.restore();
    }
  });

  it('with onStoreOutage "allow", serves covered requests and warns once that limits are off', async () => {
    const gateway = await gatewayWith('allow');
    expect((await metered(gateway)).status).toBe(200);
    logLines.length = 0;
    await proxy.cut();
    for (let index = 0; index < 3; index++) expect((await metered(gateway)).status).toBe(200);
    expect((await limited(gateway)).status).toBe(200);
    expect((await free(gateway, { 'idempotency-key': 'outage-2' })).status).toBe(200);
    const offWarnings = logLines.filter((line) => line.msg.includes('are not enforced until it is back'));
    expect(offWarnings).toHaveLength(1);
    expect(offWarnings[0]!.level).toBe(40);
    await proxy.restore();
  });
});
