import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

/**
 * Requests refused by policy before any upstream call (402 budget, 429 rate limit, 403 allowlist)
 * are counted per key, user, kind and minute rather than written one row each: a flood of them
 * cannot grow the ledger, and the reports still say exactly how many there were.
 */
const ADMIN_KEY = 'admin-refusals-91b2';
// One minute for the whole test: every refusal falls in the same counter.
const now = new Date();
const today = now.toISOString().slice(0, 10);
let gateway: TestGateway;
let agent: Agent;
let brokeKey: string;
let richKey: string;

beforeAll(async () => {
  gateway = await startGateway({ mockPricing: true }, { clock: () => now, env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } });
  agent = new Agent({ connections: 8 });
  const keys = gateway.server.app.store.keys;
  // Too small for any request: every one is refused with 402 before reaching a provider.
  brokeKey = (await keys.create({ name: 'broke', user: 'mallory', budgetUsd: 0.0000001, budgetPeriod: 'day' })).key;
  richKey = (await keys.create({ name: 'rich', budgetUsd: 10, budgetPeriod: 'day', rpm: 1 })).key;
});
afterAll(async () => {
  await agent?.close();
  await gateway?.close();
});

async function chat(key: string): Promise<number> {
  const response = await request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: agent,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/echo', max_tokens: 16, messages: [{ role: 'user', content: 'refuse me' }] }),
  });
  await response.body.text();
  return response.statusCode;
}

async function report(query: string, key = ADMIN_KEY): Promise<Array<Record<string, unknown>>> {
  const response = await request(`${gateway.url}/v1/report?start_date=${today}&end_date=${today}&${query}`, { dispatcher: agent, headers: { authorization: `Bearer ${key}` } });
  const body = (await response.body.json()) as { results: Array<Record<string, unknown>> };
  expect(response.statusCode, JSON.stringify(body)).toBe(200);
  return body.results;
}

describe('refused requests', () => {
  it('1,000 budget refusals leave one counter and no request rows, and the reports count them exactly', async () => {
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 125; batch++) {
      for (const status of await Promise.all(Array.from({ length: 8 }, () => chat(brokeKey)))) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 402: 1_000 });

    // Read through the report first: it commits what is pending.
    expect(await report('group_by=api_key_name')).toEqual([expect.objectContaining({ api_key_name: 'broke', request_count: 0, refused_count: 1_000, total_cost: 0 })]);
    expect(await gateway.ledger.requests()).toEqual([]);
    expect(await gateway.ledger.refusals()).toEqual([
      { minute: now.toISOString().slice(0, 16), keyId: expect.stringMatching(/^key_/), keyName: 'broke', user: 'mallory', kind: 'insufficient_budget', count: 1_000 },
    ]);

    expect(await report('group_by=user')).toEqual([expect.objectContaining({ user: 'mallory', refused_count: 1_000 })]);
    expect(await report('group_by=day&date_part=hour')).toEqual([expect.objectContaining({ hour: now.toISOString().slice(0, 13), refused_count: 1_000 })]);
    // The key sees its own refusals; refusals have no model, so a model grouping leaves the field out.
    expect(await report('group_by=day', brokeKey)).toEqual([expect.objectContaining({ day: today, request_count: 0, refused_count: 1_000 })]);
    expect((await report('group_by=model'))[0] ?? {}).not.toHaveProperty('refused_count');
  });

  it('a request that reached a provider keeps its row; a rate-limit refusal after it is counted beside it', async () => {
    expect(await chat(richKey)).toBe(200);
    expect(await chat(richKey)).toBe(429);
    expect(await chat(richKey)).toBe(429);
    expect(await report('api_key_name=rich')).toEqual([expect.objectContaining({ request_count: 1, refused_count: 2 })]);
    expect((await gateway.ledger.requests()).map((row) => row.status)).toEqual(['ok']);
    expect((await gateway.ledger.refusals()).map((row) => [row.keyName, row.kind, row.count])).toEqual(
      expect.arrayContaining([
        ['broke', 'insufficient_budget', 1_000],
        ['rich', 'rate_limited', 2],
      ]),
    );
  });

  it('tollgate spend shows the refusals in a REFUSED column by key, and as a note by model', async () => {
    const byKey = runCli(['spend', '--by', 'key', '--data-dir', gateway.dataDir], {});
    expect(await byKey.exited).toBe(0);
    expect(byKey.stdout()).toMatch(/KEY\s+REQUESTS\s+REFUSED/);
    expect(byKey.stdout()).toMatch(/\nbroke\s+0\s+1000\s/);
    expect(byKey.stdout()).toMatch(/\nrich\s+1\s+2\s/);

    const byModel = runCli(['spend', '--by', 'model', '--data-dir', gateway.dataDir], {});
    expect(await byModel.exited).toBe(0);
    expect(byModel.stdout()).not.toContain('REFUSED');
    expect(byModel.stdout()).toContain('1002 requests were refused by a budget, rate limit or allowlist before any upstream call');
  }, 90_000);
});
