import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import type { RequestRow } from '../../src/store/types.js';
import { eventually, startGateway, type TestGateway, nanos } from '../support/gateway.js';

/**
 * Spend reporting through the real server: requests made with the official `openai` client
 * against the built-in mock provider land in the SQLite ledger, and `GET /v1/report`,
 * `GET /v1/credits`, MCP `get_spend` and `tollgate spend` read them back in Vercel AI Gateway's
 * shapes, attributed by body, `providerOptions.gateway` and `ai-reporting-*` headers.
 */
type ReportRow = Record<string, string | number | undefined> & { total_cost: number; request_count: number; input_tokens: number; output_tokens: number };

const today = () => new Date().toISOString().slice(0, 10);
const dayOffset = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

async function getJson(url: string, headers: Record<string, string> = {}) {
  const response = await request(url, { headers });
  return { status: response.statusCode, body: (await response.body.json()) as any };
}

const sumNanos = (rows: RequestRow[]) => rows.reduce((total, row) => total + (row.costNanos ?? 0), 0);

describe('GET /v1/report on an open (loopback, no auth) gateway', () => {
  let gateway: TestGateway;
  let client: OpenAI;
  let ledger: RequestRow[];
  const report = async (query: string) => {
    const { status, body } = await getJson(`${gateway.url}/v1/report?start_date=${today()}&end_date=${today()}${query ? `&${query}` : ''}`);
    expect(status, JSON.stringify(body)).toBe(200);
    return body.results as ReportRow[];
  };

  beforeAll(async () => {
    gateway = await startGateway({ mockPricing: true });
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const chat = (content: string, extra: object = {}, headers: Record<string, string> = {}) =>
      client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content }], ...extra }, { headers });
    // OpenAI's own `user` field.
    await chat('first question from alice', { user: 'alice' });
    // Vercel's `providerOptions.gateway` attribution.
    await chat('bob asks about checkout', { providerOptions: { gateway: { user: 'bob', tags: ['checkout', 'beta'] } } });
    // Headers: the user header wins over the body's, header tags join the body's.
    await chat('a nightly batch job', { providerOptions: { gateway: { user: 'zed', tags: ['checkout'] } } }, { 'ai-reporting-user': 'carol', 'ai-reporting-tags': 'batch, nightly' });
    // A stream, and an embedding: every operation is in the ledger and the report.
    const stream = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'stream it' }], stream: true, user: 'alice' });
    for await (const _chunk of stream) void _chunk;
    await client.embeddings.create({ model: 'mock/embed', input: ['one', 'two'], user: 'alice' });
    ledger = await eventually(async () => {
      const rows = (await gateway.ledger.requests());
      expect(rows).toHaveLength(5);
      return rows;
    });
  });
  afterAll(() => gateway?.close());

  it('records who asked: body user, providerOptions.gateway user and tags, and the ai-reporting-* headers', () => {
    const byContent = ledger.map((row) => ({ user: row.user, tags: [...row.tags].sort() }));
    expect(byContent).toEqual([
      { user: 'alice', tags: [] },
      { user: 'bob', tags: ['beta', 'checkout'] },
      { user: 'carol', tags: ['batch', 'checkout', 'nightly'] },
      { user: 'alice', tags: [] },
      { user: 'alice', tags: [] },
    ]);
  });

  it('totals equal the sum of the ledger rows, by day by default (Vercel response shape)', async () => {
    const rows = await report('');
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toEqual({
      day: today(),
      total_cost: sumNanos(ledger) / 1e9,
      market_cost: sumNanos(ledger) / 1e9,
      input_tokens: ledger.reduce((total, r) => total + r.usage.input, 0),
      output_tokens: ledger.reduce((total, r) => total + r.usage.output, 0),
      cached_input_tokens: 0,
      cache_creation_input_tokens: 0,
      reasoning_tokens: 0,
      request_count: 5,
      unpriced_request_count: 0,
      refused_count: 0,
    });
    // The mock's nominal prices ($1/M in, $2/M out) make every request cost something.
    expect(row!.total_cost).toBeGreaterThan(0);
  });

  it('groups by model, user, provider, tag and api_key_name, each row matching its ledger rows', async () => {
    const models = await report('group_by=model');
    expect(models.map((row) => row.model).sort()).toEqual(['mock/echo', 'mock/embed']);
    for (const row of models) {
      const mine = ledger.filter((r) => r.servedModel === row.model);
      expect(nanos(row.total_cost)).toBe(sumNanos(mine));
      expect(row.request_count).toBe(mine.length);
      expect(row).not.toHaveProperty('day');
    }

    const users = await report('group_by=user');
    expect(Object.fromEntries(users.map((row) => [row.user, row.request_count]))).toEqual({ alice: 3, bob: 1, carol: 1 });
    const alice = users.find((row) => row.user === 'alice')!;
    expect(nanos(alice.total_cost)).toBe(sumNanos(ledger.filter((r) => r.user === 'alice')));

    expect(await report('group_by=provider')).toEqual([expect.objectContaining({ provider: 'mock', request_count: 5 })]);

    const tags = await report('group_by=tag');
    expect(tags.map((row) => [row.tag ?? null, row.request_count]).sort()).toEqual(
      [['batch', 1], ['beta', 1], ['checkout', 2], ['nightly', 1], [null, 3]].sort(),
    );

    // No key on an open gateway: one row, without the grouping field (never null).
    const keys = await report('group_by=api_key_name');
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toHaveProperty('api_key_name');
    expect(keys[0]!.request_count).toBe(5);
  });

  it('groups by hour with date_part=hour (YYYY-MM-DDTHH)', async () => {
    const hours = await report('group_by=day&date_part=hour');
    const expected = [...new Set(ledger.map((row) => row.ts.slice(0, 13)))];
    expect(hours.map((row) => row.hour)).toEqual(expected);
    expect(hours.reduce((total, row) => total + row.request_count, 0)).toBe(5);
  });

  it('filters by user_id, model, provider and tags (any by default, or all)', async () => {
    expect((await report('user_id=alice'))[0]!.request_count).toBe(3);
    expect((await report('model=mock/embed'))[0]!.request_count).toBe(1);
    expect((await report('provider=mock'))[0]!.request_count).toBe(5);
    expect(await report('provider=openai')).toEqual([]);
    expect((await report('tags=batch,beta'))[0]!.request_count).toBe(2);
    expect((await report('tags=checkout&tags=nightly&tags_match=all'))[0]!.request_count).toBe(1);
    expect(await report('tags=checkout,beta&tags_match=all&group_by=user')).toEqual([expect.objectContaining({ user: 'bob', request_count: 1 })]);
  });

  it('takes inclusive UTC dates: a range around today has everything, days before or after have nothing', async () => {
    const range = async (start: string, end: string) =>
      (await getJson(`${gateway.url}/v1/report?start_date=${start}&end_date=${end}&group_by=model`)).body.results as ReportRow[];
    expect((await range(dayOffset(-1), dayOffset(1))).reduce((total, row) => total + row.request_count, 0)).toBe(5);
    expect(await range(dayOffset(-3), dayOffset(-1))).toEqual([]);
    expect(await range(dayOffset(1), dayOffset(2))).toEqual([]);
  });

  it('answers a bad parameter with 400 in OpenAI’s error shape, naming the parameter', async () => {
    const cases: Array<[string, string, RegExp]> = [
      [`end_date=${today()}`, 'start_date', /start_date is required/],
      [`start_date=${today()}`, 'end_date', /end_date is required/],
      ['start_date=2026-02-30&end_date=2026-03-01', 'start_date', /calendar date/],
      ['start_date=yesterday&end_date=2026-03-01', 'start_date', /YYYY-MM-DD/],
      ['start_date=2026-03-02&end_date=2026-03-01', 'end_date', /before start_date/],
      [`start_date=${today()}&end_date=${today()}&group_by=colour`, 'group_by', /one of day, user, model, tag, provider, api_key_name/],
      [`start_date=${today()}&end_date=${today()}&date_part=minute`, 'date_part', /one of day, hour/],
      [`start_date=${today()}&end_date=${today()}&tags=a&tags_match=most`, 'tags_match', /one of any, all/],
      [`start_date=${today()}&end_date=${today()}&credential_type=byok`, 'credential_type', /not supported/],
      [`start_date=${today()}&end_date=${today()}&user_id=`, 'user_id', /empty/],
    ];
    for (const [query, param, message] of cases) {
      const { status, body } = await getJson(`${gateway.url}/v1/report?${query}`);
      expect(status, query).toBe(400);
      expect(body.error, query).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request', param });
      expect(body.error.message, query).toMatch(message);
    }
  });

  it('refuses invalid ai-reporting-* headers with 400 naming the header, and records nothing', async () => {
    const send = (headers: Record<string, string>) =>
      request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }),
      }).then(async (response) => ({ status: response.statusCode, body: (await response.body.json()) as any }));
    const tooMany = await send({ 'ai-reporting-tags': Array.from({ length: 11 }, (_, index) => `t${index}`).join(',') });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({ param: 'ai-reporting-tags', code: 'invalid_request' });
    const tooLong = await send({ 'ai-reporting-tags': 'x'.repeat(65) });
    expect(tooLong.body.error).toMatchObject({ param: 'ai-reporting-tags' });
    const longUser = await send({ 'ai-reporting-user': 'u'.repeat(257) });
    expect(longUser.status).toBe(400);
    expect(longUser.body.error).toMatchObject({ param: 'ai-reporting-user' });
    expect(await gateway.ledger.requests()).toHaveLength(5);
  });

  it('GET /v1/credits: no budget means an unlimited balance ("Infinity"); total_used is the ledger’s exact sum as a decimal string', async () => {
    const { status, body } = await getJson(`${gateway.url}/v1/credits`);
    expect(status).toBe(200);
    const total = sumNanos(ledger);
    expect(body).toEqual({
      balance: 'Infinity',
      total_used: expect.any(String),
      budgets: [],
      spend: { today: body.total_used, this_month: body.total_used },
    });
    expect(Math.round(Number(body.total_used) * 1e9)).toBe(total);
  });

  it('tollgate spend --by model prints a table with a total line, on the data folder of the running server', async () => {
    const cli = runCli(['spend', '--by', 'model', '--data-dir', gateway.dataDir], {});
    expect(await cli.exited).toBe(0);
    const out = cli.stdout();
    const echo = ledger.filter((row) => row.servedModel === 'mock/echo');
    const line = (label: string) => out.split('\n').find((text) => text.startsWith(`${label} `))!.trim().split(/\s{2,}/);
    expect(out).toMatch(/MODEL\s+REQUESTS\s+INPUT TOKENS\s+OUTPUT TOKENS\s+COST \(USD\)/);
    const [, requests, input, output, cost] = line('mock/echo');
    expect(Number(requests)).toBe(echo.length);
    expect(Number(input)).toBe(echo.reduce((total, row) => total + row.usage.input, 0));
    expect(Number(output)).toBe(echo.reduce((total, row) => total + row.usage.output, 0));
    expect(Math.round(Number(cost) * 1e9)).toBe(sumNanos(echo));
    const totalLine = line('TOTAL');
    expect(Number(totalLine[1])).toBe(5);
    // Enough decimals for the exact amount: tiny mock costs are not rounded away.
    expect(Math.round(Number(totalLine[4]) * 1e9)).toBe(sumNanos(ledger));
  });

  it('tollgate spend --json gives the same rows as GET /v1/report, and a total', async () => {
    const cli = runCli(['spend', '--by', 'user', '--since', '1d', '--json', '--data-dir', gateway.dataDir], {});
    expect(await cli.exited).toBe(0);
    const printed = JSON.parse(cli.stdout()) as { group_by: string; start_date: string; end_date: string; results: ReportRow[]; total: ReportRow };
    expect(printed).toMatchObject({ group_by: 'user', start_date: dayOffset(-1), end_date: today() });
    expect(printed.results).toEqual(await report('group_by=user'));
    expect(printed.total.request_count).toBe(5);
    expect(nanos(printed.total.total_cost)).toBe(sumNanos(ledger));
  });

  it('tollgate spend rejects an unknown --by with exit code 2 and the choices', async () => {
    const cli = runCli(['spend', '--by', 'colour', '--data-dir', gateway.dataDir], {});
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/--by must be one of model, provider, user, tag, key, day, hour/);
  });
});

describe('reports scoped to the caller (virtual keys and the admin key)', () => {
  const ADMIN = 'admin-secret-for-report-tests';
  const ADMIN_ENV = 'TOLLGATE_REPORT_TEST_ADMIN_KEY';
  let gateway: TestGateway;
  const keys: Record<string, string> = {};
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const window = () => `start_date=${today()}&end_date=${today()}`;

  beforeAll(async () => {
    gateway = await startGateway(
      {
        auth: { adminKeyEnv: ADMIN_ENV },
        budgets: [
          { scope: 'global', limitUsd: 5, period: 'month' },
          { scope: 'user', id: 'ann', limitUsd: 3, period: 'week' },
        ],
      },
      { env: { [ADMIN_ENV]: ADMIN } },
    );
    for (const [name, budgetUsd] of [['team-a', 2], ['team-b', null]] as const) {
      const response = await request(`${gateway.url}/v1/admin/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth(ADMIN) },
        body: JSON.stringify({ name, user: name === 'team-a' ? 'ann' : null, ...(budgetUsd ? { budgetUsd, budgetPeriod: 'month' } : {}) }),
      });
      expect(response.statusCode).toBe(201);
      keys[name] = ((await response.body.json()) as { key: string }).key;
    }
    const chat = (key: string, content: string) =>
      new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 }).chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content }] });
    await chat(keys['team-a']!, 'a one');
    await chat(keys['team-a']!, 'a two');
    await chat(keys['team-b']!, 'b one, a longer question than the others');
    await eventually(async () => expect(await gateway.ledger.requests()).toHaveLength(3));
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('a virtual key sees only its own requests, whatever it filters on', async () => {
    const mine = (await gateway.ledger.requests()).filter((row) => row.keyName === 'team-a');
    const { body } = await getJson(`${gateway.url}/v1/report?${window()}&group_by=api_key_name`, auth(keys['team-a']!));
    expect(body.results).toEqual([expect.objectContaining({ api_key_name: 'team-a', request_count: 2, total_cost: sumNanos(mine) / 1e9 })]);
    const other = await getJson(`${gateway.url}/v1/report?${window()}&api_key_name=team-b`, auth(keys['team-a']!));
    expect(other.body.results).toEqual([]);
  });

  it('the admin key sees every key, grouped by api_key_name', async () => {
    const { body } = await getJson(`${gateway.url}/v1/report?${window()}&group_by=api_key_name`, auth(ADMIN));
    expect(Object.fromEntries((body.results as ReportRow[]).map((row) => [row.api_key_name, row.request_count]))).toEqual({ 'team-a': 2, 'team-b': 1 });
  });

  it('an unauthenticated report request is refused once keys exist', async () => {
    const { status } = await getJson(`${gateway.url}/v1/report?${window()}`);
    expect(status).toBe(401);
  });

  it('GET /v1/credits gives the key its own budgets (key, its user’s), the tightest as the balance, and its own spend; never the global budget', async () => {
    const mine = (await gateway.ledger.requests()).filter((row) => row.keyName === 'team-a');
    const { status, body } = await getJson(`${gateway.url}/v1/credits`, auth(keys['team-a']!));
    expect(status).toBe(200);
    expect(body.budgets.map((budget: { scope: string; scope_id: string }) => `${budget.scope}:${budget.scope_id}`)).toEqual(['key:team-a', 'user:ann']);
    expect(body.budgets[0]).toMatchObject({ scope_id: 'team-a', period: 'month', limit: '2.00', reserved: '0.00', resets_at: expect.stringMatching(/-01T00:00:00\.000Z$/) });
    expect(Math.round(Number(body.budgets[0].used) * 1e9)).toBe(sumNanos(mine));
    expect(body.balance).toBe(body.budgets[0].remaining);
    expect(Math.round(Number(body.balance) * 1e9)).toBe(2e9 - sumNanos(mine));
    expect(Math.round(Number(body.total_used) * 1e9)).toBe(sumNanos(mine));

    // team-b has no budget of its own: nothing to show, and the gateway's total is none of its business.
    const b = await getJson(`${gateway.url}/v1/credits`, auth(keys['team-b']!));
    expect(b.body).toMatchObject({ balance: 'Infinity', budgets: [] });
    expect(JSON.stringify(b.body)).not.toContain('"global"');
    const theirs = (await gateway.ledger.requests()).filter((row) => row.keyName === 'team-b');
    expect(Math.round(Number(b.body.total_used) * 1e9)).toBe(sumNanos(theirs));

    // The admin sees the global budget with the whole gateway's spend.
    const admin = await getJson(`${gateway.url}/v1/credits`, auth(ADMIN));
    const global = admin.body.budgets.find((budget: { scope: string }) => budget.scope === 'global');
    expect(Math.round(Number(global.used) * 1e9)).toBe(sumNanos((await gateway.ledger.requests())));
  });

  it('MCP tool results carry the key’s own budgets only', async () => {
    const client = new Client({ name: 'report-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), { requestInit: { headers: auth(keys['team-b']!) } }));
    try {
      const result = await client.callTool({ name: 'list_models', arguments: {} });
      expect((result._meta as Record<string, unknown> | undefined)?.['tollgate/budget']).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('MCP get_spend over /mcp answers for the key that called it', async () => {
    const client = new Client({ name: 'report-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), { requestInit: { headers: auth(keys['team-b']!) } }));
    try {
      const result = await client.callTool({ name: 'get_spend', arguments: { group_by: 'api_key_name' } });
      expect(result.isError).toBeFalsy();
      const structured = result.structuredContent as { total: ReportRow; results: ReportRow[] };
      expect(structured.total.request_count).toBe(1);
      expect(structured.results).toEqual([expect.objectContaining({ api_key_name: 'team-b', request_count: 1 })]);
    } finally {
      await client.close();
    }
  });
});

describe('GET /v1/credits under a global budget the key cannot see', () => {
  it('shows the key no budget ("Infinity"), yet the global budget too small for any request still refuses its request with 402', async () => {
    const gateway = await startGateway({ mockPricing: true, budgets: [{ scope: 'global', limitUsd: 0.0000001, period: 'day' }] });
    try {
      const key = (await gateway.server.app.store.keys.create({ name: 'no-own-budget' })).key;
      const credits = await getJson(`${gateway.url}/v1/credits`, { authorization: `Bearer ${key}` });
      expect(credits.body).toMatchObject({ balance: 'Infinity', budgets: [] });
      const refused = await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(refused.statusCode).toBe(402);
      expect(((await refused.body.json()) as { error: { message: string } }).error.message).toMatch(/^budget too small for this request \(global "gateway"\): .* what is left \(\$0\.0000001 of \$0\.0000001 per day/);
    } finally {
      await gateway.close();
    }
  });
});
