import { createGateway } from '@ai-sdk/gateway';
import { generateText, streamText } from 'ai';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { deletePrefix, REDIS_URL, redisAvailable, testPrefix } from '../support/redis.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/**
 * The response cache as the AI SDK sees it (`generateText`/`streamText` through `/v3/ai` with
 * `providerOptions.gateway.cache`), kept in SQLite or in Redis, and as an operator sees it: the
 * request log's `cache_hit` and the `tollgate_cache_hits_total` counter.
 */
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function setUp(store: ConfigInput['store'] = {}): Promise<{ upstream: StartedUpstream; gateway: TestGateway }> {
  const upstream = await startUpstream();
  const gateway = await startGateway({
    mock: false,
    store,
    providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key', models: { 'gpt-4o-mini': { pricing: { input: 0.15, output: 0.6 } } } } },
  });
  cleanups.push(() => upstream.close(), () => gateway.close());
  return { upstream, gateway };
}

const cache = { gateway: { cache: { ttl: 600 } } };
const chatCalls = (upstream: StartedUpstream) => upstream.requests.filter((request) => request.path === '/v1/chat/completions').length;

async function cacheHitsOnMetrics(gateway: TestGateway): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith('tollgate_cache_hits_total{face="aisdk",model="up/gpt-4o-mini"}'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function cacheHitsInRequestLog(gateway: TestGateway): Promise<boolean[]> {
  const body = (await (await fetch(`${gateway.url}/v1/requests`)).json()) as { data: Array<{ cache_hit: boolean }> };
  return body.data.map((row) => row.cache_hit).reverse();
}

async function generatesAndStreamsFromCache({ upstream, gateway }: { upstream: StartedUpstream; gateway: TestGateway }): Promise<void> {
  const provider = createGateway({ baseURL: `${gateway.url}/v3/ai`, apiKey: 'unused-without-auth' });
  const model = provider('up/gpt-4o-mini');

  const first = await generateText({ model, prompt: 'cached through the AI SDK', providerOptions: cache });
  const calls = chatCalls(upstream);
  const second = await generateText({ model, prompt: 'cached through the AI SDK', providerOptions: cache });
  expect(chatCalls(upstream)).toBe(calls);
  expect(second.text).toBe(first.text);

  const streamedText = async () => {
    const result = streamText({ model, prompt: 'streamed through the AI SDK', providerOptions: cache });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    return text;
  };
  const fresh = await streamedText();
  const afterFresh = chatCalls(upstream);
  expect(await streamedText()).toBe(fresh);
  expect(fresh).toBe('Echo: streamed through the AI SDK');
  expect(chatCalls(upstream)).toBe(afterFresh);

  await expect.poll(() => cacheHitsInRequestLog(gateway)).toEqual([false, true, false, true]);
  expect(await cacheHitsOnMetrics(gateway)).toBe(2);
}

describe('the response cache through the AI SDK', () => {
  it('answers a repeated generateText and streamText from the cache, counted in the request log and /metrics (SQLite)', async () => {
    await generatesAndStreamsFromCache(await setUp());
  });

  it.skipIf(!redisAvailable)('does the same with the cache kept in Redis', async () => {
    const prefix = testPrefix();
    cleanups.push(() => deletePrefix(prefix));
    await generatesAndStreamsFromCache(await setUp({ redis: REDIS_URL, redisKeyPrefix: prefix }));
  });
});
