import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../support/gateway.js';
import { budgetUpdate, recordResourceUpdates } from '../../support/mcp-notifications.js';
import { startUpstream, type StartedUpstream } from '../../support/upstreams/index.js';

/**
 * `tollgate://budget` shows the caller its budgets, rate limits and spend; a subscriber hears
 * when a budget crosses 50, 80 and 100 % of its limit or a limit changes, and only then.
 */
const ADMIN_KEY = 'admin-budget-res-9d3a';
let gateway: TestGateway;
let upstream: StartedUpstream;
let costOfOneCall: number;
const clients: Client[] = [];

async function connect(key: string): Promise<Client> {
  const client = new Client({ name: 'budget-watch', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  clients.push(client);
  return client;
}

const hello = (client: Client) => client.callTool({ name: 'chat', arguments: { model: 'mock/echo', prompt: 'hello', max_tokens: 4 } }) as Promise<CallToolResult>;
/**
 * $1 per million tokens, and each answer reports 100 in + 1,000 out: $0.0011, a little more than
 * it is held at, so ten calls fit $0.011 exactly.
 */
const paid = (client: Client) => client.callTool({ name: 'chat', arguments: { model: 'up/m', prompt: 'hi', max_tokens: 1000 } }) as Promise<CallToolResult>;

beforeAll(async () => {
  upstream = await startUpstream();
  upstream.script('m', { kind: 'usage', usage: { inputTokens: 100, outputTokens: 1000 } });
  const up = { kind: 'openai-compatible' as const, baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { m: { pricing: { input: 1, output: 1 } } } };
  gateway = await startGateway({ mockPricing: true, providers: { up } }, { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } });
  const probe = await connect((await gateway.server.app.store.keys.create({ name: 'probe' })).key);
  costOfOneCall = ((await hello(probe)).structuredContent as { cost_usd: number }).cost_usd;
  expect(costOfOneCall).toBeGreaterThan(0);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  await gateway?.close();
  await upstream?.close();
});

async function readBudget(client: Client) {
  const { contents } = await client.readResource({ uri: 'tollgate://budget' });
  return JSON.parse((contents[0] as { text: string }).text) as {
    budgets: Array<{ scope: string; limit_usd: number; spent_usd: number; remaining_usd: number; used_percent: number }>;
    rate_limits: { requests_per_minute: number | null; tokens_per_minute: number | null };
    spend: { today_usd: number; this_month_usd: number };
  };
}

describe('tollgate://budget', () => {
  it("shows the caller's budget, rate limits and spend", async () => {
    const key = (await gateway.server.app.store.keys.create({ name: 'reader', budgetUsd: 1, budgetPeriod: 'month', rpm: 30 })).key;
    const client = await connect(key);
    await hello(client);
    const view = await readBudget(client);
    expect(view.budgets).toEqual([expect.objectContaining({ scope: 'key', limit_usd: 1, spent_usd: costOfOneCall, remaining_usd: 1 - costOfOneCall })]);
    expect(view.rate_limits).toEqual({ requests_per_minute: 30, tokens_per_minute: null });
    expect(view.spend).toEqual({ today_usd: costOfOneCall, this_month_usd: costOfOneCall });
  });

  it('notifies a subscriber (one instance, no Redis) as spend crosses 50, 80 and 100 % and as its limits change, in order; not for other keys, nor once unsubscribed', async () => {
    const key = (await gateway.server.app.store.keys.create({ name: 'watched', budgetUsd: 0.011, budgetPeriod: 'total' })).key;
    const client = await connect(key);
    const other = await connect((await gateway.server.app.store.keys.create({ name: 'bystander' })).key);
    const updates = recordResourceUpdates(client);
    await client.subscribeResource({ uri: 'tollgate://budget' });
    expect(client.getServerCapabilities()?.resources?.subscribe).toBe(true);
    const state = (limitUsd: number, crossedPercent: number, rpm: number | null = null) => budgetUpdate('watched', limitUsd, crossedPercent, rpm);
    const spend = async (calls: number) => {
      for (let i = 0; i < calls; i++) expect((await paid(client)).isError).toBeFalsy();
    };

    await spend(4);
    await paid(other);
    await spend(1); // 50 %
    expect(await updates.next()).toEqual(state(0.011, 50));
    await spend(3); // 80 %
    expect(await updates.next()).toEqual(state(0.011, 80));
    await spend(2); // 100 %
    expect(await updates.next()).toEqual(state(0.011, 100));
    expect((await paid(client)).isError).toBe(true);
    expect((await readBudget(client)).budgets[0]!.used_percent).toBe(100);

    await gateway.server.app.store.keys.update('watched', { budgetUsd: 0.022 });
    expect(await updates.next()).toEqual(state(0.022, 50));
    await gateway.server.app.store.keys.update('watched', { rpm: 100 });
    expect(await updates.next()).toEqual(state(0.022, 50, 100));

    await client.unsubscribeResource({ uri: 'tollgate://budget' });
    await spend(6); // 80 % of the new limit, unheard
    await gateway.server.app.store.keys.update('watched', { rpm: 200 });
    await client.subscribeResource({ uri: 'tollgate://budget' });
    await gateway.server.app.store.keys.update('watched', { rpm: 300 });
    expect(await updates.next()).toEqual(state(0.022, 80, 300));
    expect(updates.received).toHaveLength(6);
  });

  it('refuses a subscription to another resource with invalid params', async () => {
    const client = await connect((await gateway.server.app.store.keys.create({ name: 'curious' })).key);
    await expect(client.subscribeResource({ uri: 'tollgate://models' })).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/Only tollgate:\/\/budget/) });
  });
});
