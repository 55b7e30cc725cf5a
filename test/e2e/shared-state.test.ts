import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { createMemoryState } from '../../src/policy/state/memory/index.js';
import { eventually, startGateway, type TestGateway } from '../support/gateway.js';
import { deletePrefix, REDIS_URL, redisAvailable, testPrefix } from '../support/redis.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/**
 * Two gateway instances, each with its own ledger, sharing one policy state: budgets, rate
 * limits and Idempotency-Keys hold across both exactly as on one. On Redis they are two clients
 * under one key prefix; in memory, two servers in one process given the same state.
 */
let upstream: StartedUpstream;
beforeAll(async () => {
  upstream = await startUpstream({ latencyMs: 5 });
});
afterAll(() => upstream?.close());

/** $1 per million tokens in and out: 10 in + 1,000 out cost $0.00101. */
const PER_REQUEST_NANOS = 1_010_000;
/** The worst case held for that request: its prompt at a token a byte with framing (38) + 1,000 out. */
const HELD_NANOS = 1_048_000;
/**
 * Room for exactly 10 whatever the timing: ten holds at once, and once they settle what is left
 * is less than an eleventh's hold. (Room for nine charged and a tenth hold would serve ten only
 * when the nine settled before the last requests arrived.)
 */
const TEN_REQUESTS_USD = (10 * HELD_NANOS) / 1e9;
const providers = (url: string): ConfigInput['providers'] => ({
  up: { kind: 'openai-compatible', baseURL: `${url}/v1`, apiKey: 'k', models: { m: { pricing: { input: 1, output: 1 } } } },
});

interface SharedBackend {
  name: string;
  available: boolean;
  /** Starts two instances sharing one state. */
  start(config: ConfigInput): Promise<[TestGateway, TestGateway]>;
  cleanUp(): Promise<void>;
}

const backends: SharedBackend[] = [
  {
    name: 'memory',
    available: true,
    start: async (config) => {
      const state = createMemoryState({ holdTtlMs: 600_000, idempotencyMaxBytes: 64 * 1024 * 1024 });
      return [await startGateway(config, { state }), await startGateway(config, { state })];
    },
    cleanUp: async () => undefined,
  },
  (() => {
    let prefix = testPrefix();
    return {
      name: 'redis',
      available: redisAvailable,
      start: async (config: ConfigInput) => {
        const shared = { ...config, store: { redis: REDIS_URL, redisKeyPrefix: prefix } };
        return [await startGateway(shared), await startGateway(shared)] as [TestGateway, TestGateway];
      },
      cleanUp: async () => {
        await deletePrefix(prefix);
        prefix = testPrefix();
      },
    };
  })(),
];

function chat(gateway: TestGateway, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'up/m', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }], ...body }),
  }).then(async (response) => ({ status: response.statusCode, headers: response.headers, text: await response.body.text() }));
}

for (const backend of backends) {
  describe.skipIf(!backend.available)(`two instances sharing ${backend.name} policy state${backend.available ? '' : ' (skipped: no Redis on 127.0.0.1:6379)'}`, () => {
    const open: TestGateway[] = [];
    const start = async (config: ConfigInput) => {
      const pair = await backend.start(config);
      open.push(...pair);
      return pair;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((gateway) => gateway.close()));
      await backend.cleanUp();
      upstream.reset();
    });

    it('one total budget for 10 requests, 200 concurrent requests spread over both: 10 served, 190 refused with 402 before any upstream call', async () => {
      upstream.script('m', { kind: 'usage', usage: { inputTokens: 10, outputTokens: 1000 } });
      const [one, two] = await start({ providers: providers(upstream.url), budgets: [{ scope: 'global', limitUsd: TEN_REQUESTS_USD, period: 'total' }], mock: false });
      const results = await Promise.all(Array.from({ length: 200 }, (_, index) => chat(index % 2 ? one : two)));
      expect(results.filter((result) => result.status === 200)).toHaveLength(10);
      const refused = results.filter((result) => result.status === 402);
      expect(refused).toHaveLength(190);
      expect(JSON.parse(refused[0]!.text).error.code).toBe('insufficient_budget');
      expect(upstream.requests).toHaveLength(10);
      const ledger = [...(await one.ledger.requests()), ...(await two.ledger.requests())];
      expect(ledger.reduce((sum, row) => sum + (row.costNanos ?? 0), 0)).toBe(10 * PER_REQUEST_NANOS);
      // Both instances report the same counter: everything spent, nothing held.
      for (const gateway of [one, two]) {
        const [status] = await gateway.server.gateway.budgetStatus(undefined);
        expect(status).toMatchObject({ scope: 'global', reservedUsd: 0 });
        expect(Math.round(status!.remainingUsd * 1e9)).toBe(10 * (HELD_NANOS - PER_REQUEST_NANOS));
        expect(Math.round(status!.spentUsd * 1e9)).toBe(10 * PER_REQUEST_NANOS);
      }
    });

    it('a model RPM counts the requests of both instances', async () => {
      const [one, two] = await start({ providers: providers(upstream.url), rateLimits: { 'up/m': { rpm: 6 } }, mock: false });
      const results = await Promise.all(Array.from({ length: 20 }, (_, index) => chat(index % 2 ? one : two)));
      expect(results.filter((result) => result.status === 200)).toHaveLength(6);
      const refused = results.filter((result) => result.status === 429);
      expect(refused).toHaveLength(14);
      expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused[0]!.headers['x-ratelimit-remaining-requests']).toBe('0');
      expect(upstream.requests).toHaveLength(6);
    });

    it('an Idempotency-Key in flight on one instance gets 409 on the other, which then replays the kept answer', async () => {
      upstream.script('m', { kind: 'delay', ms: 300 });
      const [one, two] = await start({ providers: providers(upstream.url), routing: { retries: 0 }, mock: false });
      const key = { 'idempotency-key': 'order-7' };
      const first = chat(one, {}, key);
      await eventually(() => expect(upstream.requests).toHaveLength(1));
      const duplicate = await chat(two, {}, key);
      expect(duplicate.status).toBe(409);
      expect(JSON.parse(duplicate.text).error.code).toBe('conflict');
      const answered = await first;
      expect(answered.status).toBe(200);
      const replayed = await chat(two, {}, key);
      expect(replayed).toMatchObject({ status: 200, text: answered.text });
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      expect(upstream.requests).toHaveLength(1);
      expect(await two.ledger.requests()).toHaveLength(0);
    });
  });
}
