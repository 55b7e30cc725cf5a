import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

/**
 * Who a request is recorded under. A key may name a user (OpenAI's `user`,
 * `providerOptions.gateway.user`, `ai-reporting-user`, Anthropic's `metadata.user_id`) only when
 * it is allowed to; otherwise the named user is ignored, so a key cannot charge someone else's
 * budget or fill someone else's report.
 */
const ADMIN_KEY = 'admin-attribution-4c1e';

let gateway: TestGateway;
const today = () => new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  gateway = await startGateway(
    // The victim's budget cannot fit even one request: any request charged to them is refused.
    { mockPricing: true, budgets: [{ scope: 'user', id: 'victim', limitUsd: 0.0000001, period: 'day' }] },
    { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } },
  );
});
afterAll(() => gateway?.close());

function openai(key: string): OpenAI {
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 });
}

/** The four ways a request names its user, each one request. */
async function nameTheVictim(key: string): Promise<Array<number>> {
  const client = openai(key);
  const statuses: number[] = [];
  const status = (promise: Promise<unknown>) =>
    promise.then(
      () => statuses.push(200),
      (error: { status?: number }) => statuses.push(error.status ?? 0),
    );
  const messages = [{ role: 'user' as const, content: 'whose request is this' }];
  await status(client.chat.completions.create({ model: 'mock/echo', messages, user: 'victim' }));
  await status(client.chat.completions.create({ model: 'mock/echo', messages, providerOptions: { gateway: { user: 'victim' } } } as never));
  await status(client.chat.completions.create({ model: 'mock/echo', messages }, { headers: { 'ai-reporting-user': 'victim' } }));
  const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: key, maxRetries: 0 });
  await status(anthropic.messages.create({ model: 'mock/echo', max_tokens: 16, messages, metadata: { user_id: 'victim' } }));
  return statuses;
}

const rowsOf = async (keyName: string) => (await gateway.ledger.requests()).filter((row) => row.keyName === keyName);

async function reportByUser(): Promise<Array<{ user?: string; request_count: number }>> {
  const response = await request(`${gateway.url}/v1/report?start_date=${today()}&end_date=${today()}&group_by=user`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  expect(response.statusCode).toBe(200);
  return ((await response.body.json()) as { results: Array<{ user?: string; request_count: number }> }).results;
}

describe('naming a user', () => {
  it('is ignored for a key without allowUserOverride: its rows keep its own user (or none), never the named one', async () => {
    const bare = (await gateway.server.app.store.keys.create({ name: 'bare' })).key;
    const bound = (await gateway.server.app.store.keys.create({ name: 'bound', user: 'ci-bot' })).key;

    // Charged to the victim, each would be refused by the victim's budget.
    expect(await nameTheVictim(bare)).toEqual([200, 200, 200, 200]);
    expect(await nameTheVictim(bound)).toEqual([200, 200, 200, 200]);

    expect((await rowsOf('bare')).map((row) => row.user)).toEqual([null, null, null, null]);
    expect((await rowsOf('bound')).map((row) => row.user)).toEqual(['ci-bot', 'ci-bot', 'ci-bot', 'ci-bot']);
    expect((await reportByUser()).find((row) => row.user === 'victim')).toBeUndefined();
  });

  it('counts for a key with allowUserOverride (admin API field): the named user is charged, the key’s own user is the default', async () => {
    const created = await request(`${gateway.url}/v1/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'proxy', user: 'proxy-default', allowUserOverride: true }),
    });
    expect(created.statusCode).toBe(201);
    const record = (await created.body.json()) as { key: string; allowUserOverride: boolean };
    expect(record.allowUserOverride).toBe(true);

    // Every way of naming the victim reaches the victim's budget, which refuses.
    expect(await nameTheVictim(record.key)).toEqual([402, 402, 402, 402]);

    const client = openai(record.key);
    await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'for alice' }], user: 'alice' });
    await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'for nobody in particular' }] });
    expect((await rowsOf('proxy')).filter((row) => row.status === 'ok').map((row) => row.user)).toEqual(['alice', 'proxy-default']);

    // Taken back with PATCH: the named user is ignored again.
    const patched = await request(`${gateway.url}/v1/admin/keys/proxy`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ allowUserOverride: false }),
    });
    expect(((await patched.body.json()) as { allowUserOverride: boolean }).allowUserOverride).toBe(false);
    await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'for alice again' }], user: 'alice' });
    expect((await rowsOf('proxy')).at(-1)!.user).toBe('proxy-default');
  });

  it('counts for the admin key', async () => {
    expect(await nameTheVictim(ADMIN_KEY)).toEqual([402, 402, 402, 402]);
    await openai(ADMIN_KEY).chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'as admin' }], user: 'dora' });
    expect((await reportByUser()).find((row) => row.user === 'dora')?.request_count).toBe(1);
  });

  it('the CLI sets the flag with --allow-user-override, shows it in list and show, and clears it with --no-allow-user-override', async () => {
    const keysCli = async (...args: string[]) => {
      const cli = runCli(['keys', ...args, '--data-dir', gateway.dataDir], {});
      const code = await cli.exited;
      expect(code, cli.stderr()).toBe(0);
      return cli.stdout();
    };
    const { key } = JSON.parse(await keysCli('create', '--name', 'cli-proxy', '--allow-user-override', '--json')) as { key: string };
    const listed = JSON.parse(await keysCli('list', '--json')) as Array<{ name: string; allowUserOverride: boolean }>;
    expect(listed.find((record) => record.name === 'cli-proxy')?.allowUserOverride).toBe(true);
    expect(listed.find((record) => record.name === 'bare')?.allowUserOverride).toBe(false);
    expect(await keysCli('list')).toMatch(/cli-proxy .*\(named\)/);
    expect(await keysCli('show', 'cli-proxy')).toMatch(/user override\s+yes/);

    await openai(key).chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }], user: 'erin' });
    expect((await rowsOf('cli-proxy')).at(-1)!.user).toBe('erin');

    expect(await keysCli('update', 'cli-proxy', '--no-allow-user-override')).toMatch(/user override\s+no/);
    await openai(key).chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'y' }], user: 'erin' });
    expect((await rowsOf('cli-proxy')).at(-1)!.user).toBeNull();
  }, 90_000);
});
