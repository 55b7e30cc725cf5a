import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type TestGateway } from '../../support/gateway.js';

/**
 * `tollgate://budget` shows the caller its budgets, rate limits and spend; a subscriber hears
 * when a budget crosses 50, 80 and 100 % of its limit, and only then.
 */
const ADMIN_KEY = 'admin-budget-res-9d3a';
let gateway: TestGateway;
let costOfOneCall: number;
const clients: Client[] = [];

async function connect(key: string): Promise<Client> {
  const client = new Client({ name: 'budget-watch', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  clients.push(client);
  return client;
}

const hello = (client: Client) => client.callTool({ name: 'chat', arguments: { model: 'mock/echo', prompt: 'hello', max_tokens: 4 } }) as Promise<CallToolResult>;

beforeAll(async () => {
  gateway = await startGateway({ mockPricing: true }, { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } });
  const probe = await connect((await gateway.server.app.store.keys.create({ name: 'probe' })).key);
  costOfOneCall = ((await hello(probe)).structuredContent as { cost_usd: number }).cost_usd;
  expect(costOfOneCall).toBeGreaterThan(0);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  await gateway?.close();
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

  it('notifies a subscriber as spend crosses 50 % and 80 %, once each; not for other keys, nor once unsubscribed', async () => {
    // A call is held at about five times what it costs (its worst case), so the 20th call, which
    // crosses 80 %, is still admitted under 24.9 calls' worth.
    const key = (await gateway.server.app.store.keys.create({ name: 'watched', budgetUsd: costOfOneCall * 24.9, budgetPeriod: 'total' })).key;
    const client = await connect(key);
    const other = await connect((await gateway.server.app.store.keys.create({ name: 'bystander' })).key);
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => void updates.push(notification.params.uri));
    await client.subscribeResource({ uri: 'tollgate://budget' });
    expect(client.getServerCapabilities()?.resources?.subscribe).toBe(true);

    const spend = async (calls: number) => {
      for (let i = 0; i < calls; i++) expect((await hello(client)).isError).toBeFalsy();
    };
    await spend(12); // 48 %
    await hello(other);
    await spend(1); // 52 %: crosses 50
    await eventually(() => expect(updates).toEqual(['tollgate://budget']));
    await spend(6); // 76 %
    await spend(1); // 80 %: crosses 80
    await eventually(() => expect(updates).toEqual(['tollgate://budget', 'tollgate://budget']));
    expect((await readBudget(client)).budgets[0]!.used_percent).toBeGreaterThanOrEqual(80);

    await client.unsubscribeResource({ uri: 'tollgate://budget' });
    await gateway.server.app.store.keys.update('watched', { budgetUsd: costOfOneCall * 100 });
    await hello(client);
    await hello(other);
    await readBudget(client);
    expect(updates).toHaveLength(2);
  });

  it('refuses a subscription to another resource with invalid params', async () => {
    const client = await connect((await gateway.server.app.store.keys.create({ name: 'curious' })).key);
    await expect(client.subscribeResource({ uri: 'tollgate://models' })).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/Only tollgate:\/\/budget/) });
  });
});
