/**
 * `tollgate://budget` subscriptions across instances: three instances on one PostgreSQL and one
 * Redis, the MCP SDK's client behind a round-robin balancer, so its standing GET stream, its
 * subscribe and the spend each land on a different instance. The subscriber hears 50, 80 and
 * 100 % of spend made over the OpenAI API on another instance, and a limit changed by the admin
 * API, each once and in order; nothing once it unsubscribed. Without Redis, two processes on one
 * data folder: spend by the other `serve` and a key changed by the CLI reach the subscriber, and
 * a `tollgate mcp` an MCP host started hears the spend of the `serve` beside it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server.js';
import { cleanEnv, cliCommand, repoRoot, runCli } from '../support/cli.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { budgetUpdate, recordResourceUpdates } from '../support/mcp-notifications.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js';
import { deletePrefix, REDIS_URL, redisAvailable, testPrefix } from '../support/redis.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../support/round-robin-proxy.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

const ADMIN_KEY = 'tg_admin_budget_notify_0123456789abcdef';
const available = postgresAvailable && redisAvailable;
const skipped = available ? '' : ' (skipped: needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379)';

/**
 * $1 per million tokens: each answer reports 100 in + 1,000 out, $0.0011, a little more than it
 * was held at (max_tokens 1000 and a short prompt), so ten requests fit $0.011 exactly.
 */
const providers = (url: string) => ({ up: { kind: 'openai-compatible' as const, baseURL: `${url}/v1`, apiKey: 'k', models: { m: { pricing: { input: 1, output: 1 } } } } });

const chat = (gateway: { url: string }, key: string) =>
  request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'up/m', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] }),
  }).then(async (response) => {
    await response.body.dump();
    return response.statusCode;
  });
const spend = async (gateway: { url: string }, key: string, requests: number) => {
  for (let index = 0; index < requests; index++) expect(await chat(gateway, key)).toBe(200);
};
const patchKey = (gateway: { url: string }, id: string, changes: Record<string, unknown>) =>
  request(`${gateway.url}/v1/admin/keys/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify(changes),
  }).then(async (response) => {
    expect(response.statusCode).toBe(200);
    await response.body.dump();
  });
const state = (limitUsd: number, crossedPercent: number, rpm: number | null = null) => budgetUpdate('watched', limitUsd, crossedPercent, rpm);


describe.skipIf(!available)(`tollgate://budget subscriptions across instances${skipped}`, () => {
  let database: TestDatabase;
  let prefix: string;
  let upstream: StartedUpstream;
  let instances: TestGateway[];
  let proxy: RoundRobinProxy;

  beforeAll(async () => {
    database = await createTestDatabase();
    prefix = testPrefix();
    upstream = await startUpstream();
    upstream.script('m', { kind: 'usage', usage: { inputTokens: 100, outputTokens: 1000 } });
    const config = { store: { database: database.url(), redis: REDIS_URL, redisKeyPrefix: prefix }, providers: providers(upstream.url), mock: false };
    instances = [];
    for (let index = 0; index < 3; index++) instances.push(await startGateway(config, { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } }));
    proxy = await startRoundRobinProxy(instances.map((gateway) => gateway.url));
  });
  afterAll(async () => {
    await proxy?.close();
    await Promise.all((instances ?? []).map((gateway) => gateway.close()));
    await upstream?.close();
    if (prefix) await deletePrefix(prefix);
    await database?.drop();
  });

  it('the GET stream on one instance hears 50, 80 and 100 % of spend made on another, then limit changes, in order; nothing once unsubscribed', async () => {
    const { key, record } = await instances[0]!.server.app.store.keys.create({ name: 'watched', budgetUsd: 0.011, budgetPeriod: 'total' });
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', proxy.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } });
    const client = new Client({ name: 'budget-watch', version: '1.0.0' });
    const updates = recordResourceUpdates(client);
    await client.connect(transport);
    // The standing stream is open (its instance listens on the bus) once its headers are back.
    const stream = await proxy.waitFor((routed) => routed.method === 'GET');
    expect(await stream.answered).toBe(200);

    await client.subscribeResource({ uri: 'tollgate://budget' });
    const subscribed = proxy.routed.filter((routed) => routed.body.includes('resources/subscribe')).at(-1)!;
    expect(subscribed.backend).not.toBe(stream.backend);
    const spender = instances[[0, 1, 2].find((index) => index !== stream.backend && index !== subscribed.backend)!]!;

    await spend(spender, key, 4);
    await spend(spender, key, 1); // 50 %
    expect(await updates.next()).toEqual(state(0.011, 50));
    await spend(spender, key, 3); // 80 %
    expect(await updates.next()).toEqual(state(0.011, 80));
    await spend(spender, key, 2); // 100 %
    expect(await updates.next()).toEqual(state(0.011, 100));
    expect(await chat(spender, key)).toBe(402);

    await patchKey(spender, record.id, { budgetUsd: 0.022 });
    expect(await updates.next()).toEqual(state(0.022, 50));
    await patchKey(instances[stream.backend]!, record.id, { rpm: 100 });
    expect(await updates.next()).toEqual(state(0.022, 50, 100));
    expect(updates.received).toHaveLength(5);

    await client.unsubscribeResource({ uri: 'tollgate://budget' });
    await spend(spender, key, 6); // 80 % of the new limit, unheard
    await patchKey(spender, record.id, { rpm: 200 });
    // Subscribed again (on yet another instance), the next change is heard: it is the first since.
    await client.subscribeResource({ uri: 'tollgate://budget' });
    await patchKey(spender, record.id, { rpm: 300 });
    expect(await updates.next()).toEqual(state(0.022, 80, 300));
    expect(updates.received).toHaveLength(6);
    await client.close();
  });
});

describe('tollgate://budget subscriptions across the processes of one data folder, without Redis', () => {
  it('spend by another serve on the folder and a key changed by the CLI reach the subscriber, in order', async () => {
    const upstream = await startUpstream();
    upstream.script('m', { kind: 'usage', usage: { inputTokens: 100, outputTokens: 1000 } });
    const config = { providers: providers(upstream.url), mock: false };
    const first = await startGateway(config, { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } });
    const second = await startServer({ config: parseConfig(config, {}), dataDir: first.dataDir, port: 0, host: '127.0.0.1', logLevel: 'silent', env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } });
    const client = new Client({ name: 'budget-watch', version: '1.0.0' });
    try {
      const { key } = await first.server.app.store.keys.create({ name: 'watched', budgetUsd: 0.011, budgetPeriod: 'total' });
      const updates = recordResourceUpdates(client);
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', first.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
      await client.subscribeResource({ uri: 'tollgate://budget' });

      await spend(second, key, 5); // 50 %
      expect(await updates.next()).toEqual(state(0.011, 50));
      const cli = runCli(['keys', 'update', 'watched', '--budget', '0.022', '--data-dir', first.dataDir], {});
      expect(await cli.exited).toBe(0);
      expect(await updates.next()).toEqual(state(0.022, 0));
      await spend(second, key, 5); // 50 % of the new limit
      expect(await updates.next()).toEqual(state(0.022, 50));
      await spend(second, key, 6); // 80 %
      expect(await updates.next()).toEqual(state(0.022, 80));
      expect(updates.received).toHaveLength(4);
    } finally {
      await client.close();
      await second.close();
      await first.close();
      await upstream.close();
    }
  });

  it('tollgate mcp (stdio) on the folder of a running serve hears the spend made through the serve', async () => {
    const upstream = await startUpstream();
    upstream.script('m', { kind: 'usage', usage: { inputTokens: 100, outputTokens: 1000 } });
    const config = { providers: providers(upstream.url), mock: false };
    const gateway = await startGateway(config, { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } });
    const configFile = join(gateway.dataDir, 'upstream.json');
    writeFileSync(configFile, JSON.stringify(config));
    const { key } = await gateway.server.app.store.keys.create({ name: 'watched', budgetUsd: 0.011, budgetPeriod: 'total' });
    const { command, args } = cliCommand(['mcp', '--config', configFile]);
    const env = cleanEnv({ TOLLGATE_DATA_DIR: gateway.dataDir, TOLLGATE_API_KEY: key }) as Record<string, string>;
    const client = new Client({ name: 'stdio-budget-watch', version: '1.0.0' });
    try {
      const updates = recordResourceUpdates(client);
      await client.connect(new StdioClientTransport({ command, args, cwd: repoRoot, env, stderr: 'pipe' }));
      await client.subscribeResource({ uri: 'tollgate://budget' });
      await spend(gateway, key, 5); // 50 %
      expect(await updates.next()).toEqual(state(0.011, 50));
      await spend(gateway, key, 3); // 80 %
      expect(await updates.next()).toEqual(state(0.011, 80));
      expect(updates.received).toHaveLength(2);
    } finally {
      await client.close();
      await gateway.close();
      await upstream.close();
    }
  });
});
