import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { eventually, fallbackTo, startGateway, type TestGateway } from '../support/gateway.js';

/**
 * The request log (`GET /v1/requests`, `GET /v1/requests/{id}`), the budgets overview
 * (`GET /v1/budgets`) and the live view (`GET /v1/live`) on the real server: requests made with
 * the official `openai` client against the mock provider and a loopback upstream read back as the
 * ledger holds them, filtered and paged, each caller seeing only what reports show it.
 */
type Json = Record<string, any>;

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const response = await request(url, { headers });
  return { status: response.statusCode, body: (await response.body.json()) as Json };
}

function expectOpenAIError(result: { status: number; body: Json }, status: number, code: string, param?: string): void {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.body).toEqual({ error: { message: expect.any(String), type: expect.any(String), param: param ?? null, code } });
}

/** Polls an async check until it passes (bounded by count, and by each check's own await). */
async function until<T>(check: () => Promise<T>, tries = 200): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      if (attempt >= tries) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

async function requestId<T>(call: { withResponse(): Promise<{ data: T; response: Response }> }): Promise<string> {
  const { response } = await call.withResponse();
  return response.headers.get('x-request-id')!;
}

describe('GET /v1/requests on an open (loopback, no auth) gateway', () => {
  let upstream: StartedUpstream;
  let gateway: TestGateway;
  let client: OpenAI;
  const ids: Record<string, string> = {};
  const list = (query = '') => getJson(`${gateway.url}/v1/requests${query}`);

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({
      routing: { retries: 1, backoffMs: 1, maxBackoffMs: 5 },
      providers: {
        up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key', models: { primary: { pricing: { input: 1, output: 2 } } } },
        claude: { kind: 'anthropic', baseURL: upstream.url, apiKey: 'claude-key', models: { 'claude-sonnet-4-5': { pricing: { input: 3, output: 15 } } } },
      },
    });
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    ids.chat = await requestId(client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'first of all' }], user: 'alice' }));
    upstream.script('primary', { kind: 'error', status: 503 });
    ids.fallback = await requestId(
      client.chat.completions.create({ model: 'up/primary', messages: [{ role: 'user', content: 'fall back please' }], ...fallbackTo(['claude/claude-sonnet-4-5']) }),
    );
    upstream.script('bad', { kind: 'error', status: 400 });
    const refused = await client.chat.completions.create({ model: 'up/bad', messages: [{ role: 'user', content: 'bad one' }] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    ids.bad = (await gateway.ledger.requests()).at(-1)!.id;
    const stream = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'stream a few words' }], stream: true });
    for await (const chunk of stream) void chunk;
    ids.embed = await requestId(client.embeddings.create({ model: 'mock/embed', input: ['one', 'two'] }));
    await eventually(async () => expect(await gateway.ledger.requests()).toHaveLength(5));
    ids.stream = (await gateway.ledger.requests())[3]!.id;
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('lists every request newest first, each as its ledger row says', async () => {
    const { status, body } = await list();
    expect(status).toBe(200);
    expect(body).toMatchObject({ object: 'list', has_more: false });
    const ledger = (await gateway.ledger.requests()).reverse();
    expect(body.data.map((row: Json) => row.id)).toEqual([ids.embed, ids.stream, ids.bad, ids.fallback, ids.chat]);
    expect(body.first_id).toBe(ids.embed);
    expect(body.last_id).toBe(ids.chat);
    body.data.forEach((row: Json, index: number) => {
      const stored = ledger[index]!;
      expect(row).toMatchObject({
        id: stored.id,
        object: 'request',
        face: 'openai',
        operation: stored.operation,
        stream: stored.stream,
        requested_model: stored.requestedModel,
        served_model: stored.servedModel,
        provider: stored.provider,
        status: stored.status,
        error_kind: stored.errorKind,
        attempt_count: stored.attempts,
        usage: {
          input_tokens: stored.usage.input,
          output_tokens: stored.usage.output,
          cached_input_tokens: stored.usage.cacheRead,
          cache_creation_input_tokens: stored.usage.cacheWrite,
          reasoning_tokens: stored.usage.reasoning,
        },
        cost: stored.costNanos === null ? null : stored.costNanos / 1e9,
      });
      expect(row.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(row.latency_ms).toBeGreaterThanOrEqual(0);
    });
    expect(body.data.find((row: Json) => row.id === ids.chat)).toMatchObject({ user: 'alice', cost: expect.any(Number) });
    expect(body.data.find((row: Json) => row.id === ids.stream)).toMatchObject({ stream: true, ttft_ms: expect.any(Number) });
  });

  it('opens one request with its attempts: the retried failures, the fallback that served, tokens and cost', async () => {
    const { status, body } = await getJson(`${gateway.url}/v1/requests/${ids.fallback}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: ids.fallback, requested_model: 'up/primary', served_model: 'claude/claude-sonnet-4-5', provider: 'claude', status: 'ok', attempt_count: 3, fallbacks: 1 });
    const stored = await gateway.ledger.attempts(ids.fallback);
    expect(body.attempts).toHaveLength(3);
    expect(body.attempts.map((attempt: Json) => [attempt.seq, attempt.model, attempt.provider, attempt.status, attempt.error_kind, attempt.upstream_status])).toEqual([
      [1, 'up/primary', 'up', 'error', 'upstream_overloaded', 503],
      [2, 'up/primary', 'up', 'error', 'upstream_overloaded', 503],
      [3, 'claude/claude-sonnet-4-5', 'claude', 'ok', null, null],
    ]);
    expect(body.attempts[0]).toMatchObject({ usage: null, cost: null, error_message: expect.any(String) });
    expect(body.attempts[2]).toMatchObject({
      usage: { input_tokens: stored[2]!.usage?.input, output_tokens: stored[2]!.usage?.output },
      cost: stored[2]!.costNanos! / 1e9,
    });
    expect(body.cost).toBe((await gateway.ledger.requests()).find((row) => row.id === ids.fallback)!.costNanos! / 1e9);
    // The provider's key never reaches the request log.
    expect(JSON.stringify(body)).not.toContain('up-key');
    expect(JSON.stringify(body)).not.toContain('claude-key');
  });

  it('searches by model (served, or requested when nothing served), status and error kind', async () => {
    const idsOf = async (query: string) => (await list(query)).body.data.map((row: Json) => row.id);
    expect(await idsOf('?model=claude/claude-sonnet-4-5')).toEqual([ids.fallback]);
    expect(await idsOf('?model=up/bad')).toEqual([ids.bad]);
    expect(await idsOf('?model=mock/echo')).toEqual([ids.stream, ids.chat]);
    expect(await idsOf('?status=error')).toEqual([ids.bad]);
    expect(await idsOf('?error_kind=upstream_bad_request')).toEqual([ids.bad]);
    expect(await idsOf('?status=ok&model=mock/embed')).toEqual([ids.embed]);
    expect(await idsOf('?status=cancelled')).toEqual([]);
  });

  it('pages with limit and before, each request once, and says when more are left', async () => {
    const first = await list('?limit=2');
    expect(first.body).toMatchObject({ has_more: true, data: [{ id: ids.embed }, { id: ids.stream }], last_id: ids.stream });
    const second = await list(`?limit=2&before=${first.body.last_id}`);
    expect(second.body).toMatchObject({ has_more: true, data: [{ id: ids.bad }, { id: ids.fallback }] });
    const third = await list(`?limit=2&before=${second.body.last_id}`);
    expect(third.body).toMatchObject({ has_more: false, data: [{ id: ids.chat }] });
  });

  it('refuses bad parameters with a 400 in OpenAI’s shape naming the parameter', async () => {
    for (const [query, param] of [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=ten', 'limit'],
      ['status=failed', 'status'],
      ['error_kind=oops', 'error_kind'],
      ['model=', 'model'],
      ['before=no-such-request', 'before'],
    ] as const) {
      expectOpenAIError(await list(`?${query}`), 400, 'invalid_request', param);
    }
  });

  it('answers 404 for a request that does not exist', async () => {
    expectOpenAIError(await getJson(`${gateway.url}/v1/requests/no-such-request`), 404, 'not_found');
    expectOpenAIError(await getJson(`${gateway.url}/v1/requests/${ids.chat}/attempts`), 404, 'not_found');
  });
});

describe('the request log, budgets and live view with auth: each caller sees its own', () => {
  const ADMIN_KEY = 'admin-key-for-requests-test';
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };
  // A fixed clock: the live view's minute and the budgets' periods do not move under a slow machine.
  const now = new Date();
  let upstream: StartedUpstream;
  let gateway: TestGateway;
  const keys: Record<'a' | 'b', { key: string; id: string; requestId: string; headers: Record<string, string> }> = {} as never;

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway(
      {
        budgets: [{ scope: 'global', limitUsd: 100, period: 'month' }],
        providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key', models: { stuck: { pricing: { input: 1, output: 1 } } } } },
      },
      { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY }, clock: () => now },
    );
    for (const name of ['a', 'b'] as const) {
      const created = await request(`${gateway.url}/v1/admin/keys`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `key-${name}`, budgetUsd: 5, budgetPeriod: 'day' }),
      });
      const { key, id } = (await created.body.json()) as { key: string; id: string };
      const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 });
      const requestIdOf = await requestId(client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: `from ${name}` }] }));
      keys[name] = { key, id, requestId: requestIdOf, headers: { authorization: `Bearer ${key}` } };
    }
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('lists a key’s own requests only; the admin sees all; no credential gets 401', async () => {
    const asA = await getJson(`${gateway.url}/v1/requests`, keys.a.headers);
    expect(asA.body.data.map((row: Json) => row.id)).toEqual([keys.a.requestId]);
    expect(asA.body.data[0]).toMatchObject({ key_id: keys.a.id, key_name: 'key-a' });
    const asAdmin = await getJson(`${gateway.url}/v1/requests`, admin);
    expect(asAdmin.body.data.map((row: Json) => row.id)).toEqual([keys.b.requestId, keys.a.requestId]);
    expect((await getJson(`${gateway.url}/v1/requests?api_key_name=key-b`, admin)).body.data.map((row: Json) => row.id)).toEqual([keys.b.requestId]);
    // A key filtering for another key's name still sees only its own rows: none.
    expect((await getJson(`${gateway.url}/v1/requests?api_key_name=key-b`, keys.a.headers)).body.data).toEqual([]);
    expectOpenAIError(await getJson(`${gateway.url}/v1/requests`), 401, 'unauthorized');
    expectOpenAIError(await getJson(`${gateway.url}/v1/requests/${keys.a.requestId}`), 401, 'unauthorized');
  });

  it('hides another key’s request: 404 to open it, 400 to page from it, as if it did not exist', async () => {
    expect((await getJson(`${gateway.url}/v1/requests/${keys.a.requestId}`, keys.a.headers)).status).toBe(200);
    expectOpenAIError(await getJson(`${gateway.url}/v1/requests/${keys.b.requestId}`, keys.a.headers), 404, 'not_found');
    expectOpenAIError(await getJson(`${gateway.url}/v1/requests?before=${keys.b.requestId}`, keys.a.headers), 400, 'invalid_request', 'before');
    expect((await getJson(`${gateway.url}/v1/requests/${keys.b.requestId}`, admin)).status).toBe(200);
  });

  it('GET /v1/budgets: the admin watches every budget with its use and reset; a key its own', async () => {
    const costs = new Map((await gateway.ledger.requests()).map((row) => [row.id, row.costNanos! / 1e9]));
    const cost = (id: string) => costs.get(id)!;
    const asAdmin = await getJson(`${gateway.url}/v1/budgets`, admin);
    expect(asAdmin.status).toBe(200);
    const byScope = Object.fromEntries(asAdmin.body.data.map((budget: Json) => [`${budget.scope}:${budget.scope_id}`, budget]));
    expect(Object.keys(byScope).sort()).toEqual(['global:gateway', 'key:key-a', 'key:key-b']);
    expect(Number(byScope['key:key-a'].used)).toBeCloseTo(cost(keys.a.requestId), 12);
    expect(byScope['key:key-a']).toMatchObject({ period: 'day', resets_at: expect.stringMatching(/T00:00:00\.000Z$/) });
    expect(Number(byScope['key:key-a'].limit)).toBe(5);
    expect(Number(byScope['global:gateway'].used)).toBeCloseTo(cost(keys.a.requestId) + cost(keys.b.requestId), 12);

    const asA = await getJson(`${gateway.url}/v1/budgets`, keys.a.headers);
    // The global budget's figures are the whole gateway's spend: a key sees its own budgets only.
    expect(asA.body.data.map((budget: Json) => `${budget.scope}:${budget.scope_id}`).sort()).toEqual(['key:key-a']);
    expectOpenAIError(await getJson(`${gateway.url}/v1/budgets`), 401, 'unauthorized');
  });

  it('GET /v1/live: a request in flight shows to its key and the admin, not to another key; its end counts in the last minute', async () => {
    upstream.script('stuck', { kind: 'hang' });
    const abort = new AbortController();
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: keys.a.key, maxRetries: 0 });
    const pending = client.chat.completions
      .create({ model: 'up/stuck', messages: [{ role: 'user', content: 'wait for me' }] }, { signal: abort.signal })
      .catch((error: unknown) => error);
    const live = (headers: Record<string, string>) => getJson(`${gateway.url}/v1/live`, headers).then((result) => result.body);

    const seen = await until(async () => {
      const body = await live(admin);
      expect(body.in_flight).toHaveLength(1);
      return body;
    });
    expect(seen.in_flight[0]).toMatchObject({ model: 'up/stuck', key_name: 'key-a', face: 'openai', operation: 'chat', stream: false });
    expect((await live(keys.a.headers)).in_flight).toHaveLength(1);
    expect((await live(keys.b.headers)).in_flight).toEqual([]);

    abort.abort();
    await pending;
    const after = await until(async () => {
      const body = await live(keys.a.headers);
      expect(body.in_flight).toEqual([]);
      expect(body.last_minute.cancelled).toBe(1);
      return body;
    });
    // key-a's minute: its chat and the cancelled one; key-b's chat is not in it.
    expect(after.last_minute).toMatchObject({ requests: 2, errors: 0, cancelled: 1 });
    expect((await after).last_minute.per_second).toHaveLength(60);
    expect((await live(admin)).last_minute).toMatchObject({ requests: 3, cancelled: 1 });
    expectOpenAIError(await getJson(`${gateway.url}/v1/live`), 401, 'unauthorized');
  });
});
