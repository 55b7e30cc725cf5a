import { createServer, type Server } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { createRedisState } from '../../src/policy/state/redis/index.js';
import type { PolicyState, WindowCounts } from '../../src/policy/state/types.js';
import { eventually, manualClock, startGateway, type TestGateway } from '../support/gateway.js';
import { deletePrefix, REDIS_URL, redisAvailable, testPrefix } from '../support/redis.js';
import { startTcpProxy, type TcpProxy, type Written } from '../support/tcp-proxy.js';

/**
 * A key with a budget and a requests-per-minute limit, its policy state in Redis behind a proxy
 * that sees every write: the budget hold and the rate windows are taken by one script, sent in
 * one write with the first candidate's circuit read, so the request waits for one Redis round
 * trip before its upstream call. A refusal by either limit leaves the other's state as it was,
 * read back from Redis; with Redis cut mid-way the next request gets the outage's clear 503.
 */
const START = Date.parse('2026-03-10T12:00:15.000Z');
const DAY = '2026-03-10T00:00:00.000Z';
const prefix = testPrefix();

let proxy: TcpProxy;
let upstream: Server;
let gateway: TestGateway;
let reader: PolicyState;
/** Each upstream request: how many writes Redis had received when it arrived. */
const arrivals: number[] = [];
let cutOnArrival = false;
const keys: Record<string, { key: string; id: string; client: OpenAI }> = {};

beforeAll(async () => {
  if (!redisAvailable) return;
  proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
  upstream = createServer((req, res) => {
    arrivals.push(proxy.written.length);
    if (cutOnArrival) void proxy.cut();
    req.resume().on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as { port: number };
  const config: ConfigInput = {
    providers: { up: { kind: 'openai-compatible', baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'k', models: { m: { pricing: { input: 1, output: 1 } } } } },
    store: { redis: `redis://127.0.0.1:${proxy.port}`, redisKeyPrefix: prefix },
  };
  gateway = await startGateway(config, { clock: manualClock(START).now });
  reader = createRedisState({ url: REDIS_URL, keyPrefix: prefix, holdTtlMs: 600_000 });
  const make = async (name: string, budgetUsd: number, rpm: number) => {
    const { key, record } = await gateway.server.app.store.keys.create({ name, budgetUsd, budgetPeriod: 'day', rpm });
    keys[name] = { key, id: record.id, client: new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 }) };
  };
  await make('roomy', 1, 1000);
  await make('one-a-minute', 1, 1);
  await make('poor', 0.00001, 5);
});
afterAll(async () => {
  await gateway?.close();
  await reader?.close();
  upstream?.close();
  await proxy?.close();
  if (redisAvailable) await deletePrefix(prefix);
});

const chat = (name: string) => keys[name]!.client.chat.completions.create({ model: 'up/m', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
  );
/** Scripts run in these writes (every command the policy state sends is one). */
const scriptsIn = (writes: Written[]) => writes.reduce((sum, { chunk }) => sum + (chunk.toString('latin1').match(/\r\nEVAL(SHA)?\r\n/g)?.length ?? 0), 0);
/** The key's budget counter for today, as Redis holds it. */
const budgetOf = async (name: string) => (await reader.budgets.read([{ id: `key:${keys[name]!.id}:day:${DAY}`, endsAt: Date.parse('2026-03-11T00:00:00.000Z') }], START))[0];
/** Waits until the key's last request is settled (after its answer, not awaited by it): its spend, with nothing held. */
const settled = (name: string) =>
  eventually(async () => {
    const budget = await budgetOf(name);
    expect(budget?.reservedNanos).toBe(0);
    expect(budget?.spentNanos).toBeGreaterThan(0);
    return budget!.spentNanos;
  });
/** The key's requests window, read without adding to it. */
const requestsWindowOf = async (name: string): Promise<WindowCounts> =>
  (await reader.rateWindows.take([{ id: `key:${keys[name]!.id}:requests`, limit: Number.MAX_SAFE_INTEGER, need: 0, add: 0 }], START)).counts[0]!;

describe.skipIf(!redisAvailable)(`admission of a key with a budget and an rpm limit, on Redis${redisAvailable ? '' : ' (skipped: no Redis on 127.0.0.1:6379)'}`, () => {
  it('waits for one Redis round trip before its upstream call: the hold, its rate window and the circuit read in one write', async () => {
    // The first request loads the counter from the ledger and Redis caches the scripts.
    await chat('roomy');
    await settled('roomy');
    const before = proxy.written.length;
    const arrived = arrivals.length;
    expect((await chat('roomy')).choices[0]!.message.content).toBe('ok');
    const sentBeforeUpstream = proxy.written.slice(before, arrivals[arrived]);
    expect(sentBeforeUpstream).toHaveLength(1);
    expect(scriptsIn(sentBeforeUpstream)).toBe(2);
    expect(await requestsWindowOf('roomy')).toEqual({ current: 2, previous: 0 });
  });

  it('a request over its rate limit gets 429 in one round trip and leaves no budget hold behind', async () => {
    await chat('one-a-minute');
    await settled('roomy');
    const cost = await settled('one-a-minute');
    const before = proxy.written.length;
    const refused = await failure(chat('one-a-minute'));
    expect(refused?.status).toBe(429);
    expect(refused?.message).toMatch(/rate limit reached for this key: 1 requests per minute; retry in 45 s/);
    // The next request's own write follows whatever the refused one sent: only its hold and circuit read.
    const arrived = arrivals.length;
    await chat('roomy');
    const sent = proxy.written.slice(before, arrivals[arrived]);
    expect(sent).toHaveLength(2);
    expect(scriptsIn(sent)).toBe(4);
    expect(await budgetOf('one-a-minute')).toEqual({ spentNanos: cost, reservedNanos: 0 });
    expect(await requestsWindowOf('one-a-minute')).toEqual({ current: 1, previous: 0 });
  });

  it('a request over its budget gets 402 and takes no rate slot', async () => {
    const refused = await failure(chat('poor'));
    expect(refused?.status).toBe(402);
    expect(refused?.code).toBe('insufficient_budget');
    expect(await requestsWindowOf('poor')).toEqual({ current: 0, previous: 0 });
    expect(await budgetOf('poor')).toEqual({ spentNanos: 0, reservedNanos: 0 });
  });

  it('with Redis cut during a request, that answer is served and the next gets 503 store_unavailable naming Redis; all works once it is back', async () => {
    cutOnArrival = true;
    try {
      expect((await chat('roomy')).choices[0]!.message.content).toBe('ok');
    } finally {
      cutOnArrival = false;
    }
    const refused = await failure(chat('roomy'));
    expect(refused?.status).toBe(503);
    expect(refused?.code).toBe('store_unavailable');
    expect(refused?.message).toContain(`the budget cannot be checked: the policy store (Redis at 127.0.0.1:${proxy.port}) is unreachable`);
    expect(refused?.message).toContain('the request was not sent');
    await proxy.restore();
    await eventually(async () => expect((await chat('roomy')).choices[0]!.message.content).toBe('ok'), 10_000);
  });
});
