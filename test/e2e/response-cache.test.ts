import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, manualClock, startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/**
 * The response cache: opted into per request (body option or header) or by config per key and
 * model; a hit replays the answer (a stream as the stream it was) with no upstream call, billed 0
 * and marked in the headers and the ledger; callers never see each other's answers.
 */
let upstream: StartedUpstream;
let gateway: TestGateway;
const clock = manualClock(Date.UTC(2026, 5, 1));
const ADMIN = 'admin-secret-for-cache-test';
let alice: OpenAI;
let bob: OpenAI;
let scheduled: OpenAI;

const chatCalls = () => upstream.requests.filter((request) => request.path === '/v1/chat/completions').length;
const cached = (ttl: number): object => ({ providerOptions: { gateway: { cache: { ttl } } } });
const ledgerRow = async (id: string) => (await gateway.ledger.requests()).find((row) => row.id === id);

async function createKey(name: string): Promise<string> {
  const response = await fetch(`${gateway.url}/v1/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  return ((await response.json()) as { key: string }).key;
}

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway(
    {
      mock: false,
      providers: { up: { kind: 'openai', baseURL: `${upstream.url}/v1`, apiKey: 'sk-up' } },
      cache: { maxTtlSeconds: 3_600, rules: [{ keys: ['scheduled'], models: ['up/gpt-4o-*'], ttlSeconds: 300 }] },
    },
    { clock: clock.now, env: { TOLLGATE_ADMIN_KEY: ADMIN } },
  );
  const client = (key: string) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 });
  alice = client(await createKey('alice'));
  bob = client(await createKey('bob'));
  scheduled = client(await createKey('scheduled'));
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

describe('the response cache', () => {
  it('answers a repeated request from the cache: no upstream call, billed 0, marked in headers and ledger', async () => {
    const body = { model: 'up/gpt-4o-mini', messages: [{ role: 'user' as const, content: 'cache me' }], ...cached(600) };
    const first = await alice.chat.completions.create(body).withResponse();
    expect(first.response.headers.get('x-tollgate-cache')).toBe('miss');
    const calls = chatCalls();

    const second = await alice.chat.completions.create(body).withResponse();
    expect(chatCalls()).toBe(calls);
    expect(second.response.headers.get('x-tollgate-cache')).toBe('hit');
    expect(second.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    const hitId = second.response.headers.get('x-request-id')!;
    await eventually(async () => expect(await ledgerRow(hitId)).toMatchObject({ status: 'ok', costNanos: 0, attempts: 0, cacheHit: true, servedModel: 'up/gpt-4o-mini', usage: { input: 0, output: 0 } }));
    const firstRow = (await ledgerRow(first.response.headers.get('x-request-id')!))!;
    expect(firstRow.cacheHit).toBe(false);
    expect(firstRow.costNanos).toBeGreaterThan(0);
  });

  it('replays a streamed answer as the same stream of text, from the x-tollgate-cache header', async () => {
    const read = async () => {
      const { data: stream, response } = await alice.chat.completions
        .create({ model: 'up/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'stream me, cached' }] }, { headers: { 'x-tollgate-cache': 'ttl=600' } })
        .withResponse();
      let text = '';
      let finish: string | null = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      return { text, finish, cache: response.headers.get('x-tollgate-cache') };
    };
    const first = await read();
    const calls = chatCalls();
    const second = await read();
    expect(chatCalls()).toBe(calls);
    expect(first).toMatchObject({ cache: 'miss', finish: 'stop' });
    expect(second).toEqual({ ...first, cache: 'hit' });
    expect(second.text.length).toBeGreaterThan(0);
    // A stream and an answer that is not one are kept apart.
    const whole = await alice.chat.completions.create({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'stream me, cached' }] }, { headers: { 'x-tollgate-cache': 'ttl=600' } }).withResponse();
    expect(whole.response.headers.get('x-tollgate-cache')).toBe('miss');
  });

  it('keeps callers apart: another key never gets the first one’s answer', async () => {
    const body = { model: 'up/gpt-4o-mini', messages: [{ role: 'user' as const, content: 'mine only' }], ...cached(600) };
    await alice.chat.completions.create(body);
    const calls = chatCalls();
    const other = await bob.chat.completions.create(body).withResponse();
    expect(other.response.headers.get('x-tollgate-cache')).toBe('miss');
    expect(chatCalls()).toBe(calls + 1);
  });

  it('Cache-Control: no-cache asks the provider again; no-store leaves the cache out', async () => {
    const body = { model: 'up/gpt-4o-mini', messages: [{ role: 'user' as const, content: 'fresh please' }], ...cached(600) };
    await alice.chat.completions.create(body);
    const calls = chatCalls();
    const fresh = await alice.chat.completions.create(body, { headers: { 'cache-control': 'no-cache' } }).withResponse();
    expect(chatCalls()).toBe(calls + 1);
    expect(fresh.response.headers.get('x-tollgate-cache')).toBe('miss');
    const bypass = await alice.chat.completions.create(body, { headers: { 'cache-control': 'no-store' } }).withResponse();
    expect(chatCalls()).toBe(calls + 2);
    expect(bypass.response.headers.get('x-tollgate-cache')).toBeNull();
  });

  it('expires an answer after its TTL, capped by maxTtlSeconds', async () => {
    const body = { model: 'up/gpt-4o-mini', messages: [{ role: 'user' as const, content: 'short lived' }], ...cached(86_400) };
    await alice.chat.completions.create(body);
    clock.advance(3_599_000);
    expect((await alice.chat.completions.create(body).withResponse()).response.headers.get('x-tollgate-cache')).toBe('hit');
    clock.advance(2_000);
    const calls = chatCalls();
    expect((await alice.chat.completions.create(body).withResponse()).response.headers.get('x-tollgate-cache')).toBe('miss');
    expect(chatCalls()).toBe(calls + 1);
  });

  it('config turns the cache on per key and model', async () => {
    const body = { model: 'up/gpt-4o-mini', messages: [{ role: 'user' as const, content: 'nightly job' }] };
    await scheduled.chat.completions.create(body);
    expect((await scheduled.chat.completions.create(body).withResponse()).response.headers.get('x-tollgate-cache')).toBe('hit');
    // Another key, or a model outside the rule: no cache.
    expect((await alice.chat.completions.create(body).withResponse()).response.headers.get('x-tollgate-cache')).toBeNull();
    expect((await scheduled.chat.completions.create({ ...body, model: 'up/o3-mini' }).withResponse()).response.headers.get('x-tollgate-cache')).toBeNull();
  });

  it('refuses a malformed x-tollgate-cache header with 400 in OpenAI’s shape', async () => {
    const error = await alice.chat.completions
      .create({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-tollgate-cache': 'forever' } })
      .catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/x-tollgate-cache must be `ttl=<seconds>`/);
  });
});
