/**
 * Several gateway instances on one PostgreSQL and one Redis, as behind a load balancer: three
 * servers (in this process, each with its own data folder), one database of this run's own, one
 * Redis key prefix. A key made on one is in force on all; one key's total budget holds across
 * them under 300 concurrent requests; and with PostgreSQL cut off mid-load (a TCP proxy in front
 * of the machine's server), every answer a client saw complete is in PostgreSQL once it drains,
 * exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { runCli } from '../support/cli.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { createTestDatabase, PG_HOST, PG_PORT, postgresAvailable, type TestDatabase } from '../support/postgres.js';
import { deletePrefix, REDIS_URL, redisAvailable, testPrefix } from '../support/redis.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

const ADMIN_KEY = 'tg_admin_several_instances_0123456789abcdef';
/** $1 per million tokens in and out: 10 in + 1,000 out cost $0.00101. */
const PER_REQUEST_NANOS = 1_010_000;
/** The most one request may cost, as held before it runs: its prompt (38 tokens at most) + 1,000 out. */
const MAX_REQUEST_NANOS = 1_048_000;
const providers = (url: string): ConfigInput['providers'] => ({
  up: { kind: 'openai-compatible', baseURL: `${url}/v1`, apiKey: 'k', models: { m: { pricing: { input: 1, output: 1 } } } },
});

const available = postgresAvailable && redisAvailable;
const skipped = available ? '' : ' (skipped: needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379)';

function chat(gateway: TestGateway, key?: string) {
  return request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ model: 'up/m', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] }),
  }).then(async (response) => ({ status: response.statusCode, requestId: String(response.headers['x-request-id']), text: await response.body.text() }));
}

function admin(gateway: TestGateway, method: 'POST' | 'DELETE', path: string, body?: unknown) {
  return request(`${gateway.url}/v1/admin/keys${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  }).then(async (response) => ({ status: response.statusCode, json: (await response.body.json()) as Record<string, unknown> }));
}

const pgStore = (gateway: TestGateway) => gateway.server.app.store as PostgresStore;

describe.skipIf(!available)(`three instances on one PostgreSQL and one Redis${skipped}`, () => {
  let upstream: StartedUpstream;
  let database: TestDatabase;
  let prefix: string;
  const open: TestGateway[] = [];

  const startThree = async (databaseUrl: string, env: Record<string, string> = { TOLLGATE_ADMIN_KEY: ADMIN_KEY }) => {
    const config: ConfigInput = {
      providers: providers(upstream.url),
      mock: false,
      store: { database: databaseUrl, redis: REDIS_URL, redisKeyPrefix: prefix },
    };
    const instances: TestGateway[] = [];
    for (let index = 0; index < 3; index++) instances.push(await startGateway(config, { env }));
    open.push(...instances);
    return instances;
  };

  beforeAll(async () => {
    upstream = await startUpstream({ latencyMs: 2 });
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((gateway) => gateway.close()));
    await deletePrefix(prefix);
    upstream.reset();
  });
  afterAll(async () => {
    await upstream?.close();
    await database?.drop();
  });

  it('a key made on one instance works on the others, and once revoked there is refused by all of them', async () => {
    prefix = testPrefix();
    const [one, two, three] = await startThree(database.url());
    const created = await admin(one, 'POST', '', { name: 'shared' });
    expect(created.status).toBe(201);
    const key = created.json.key as string;
    for (const gateway of [one, two, three]) expect((await chat(gateway!, key)).status).toBe(200);
    // Each instance now remembers the key; revoking it on one tells the others.
    const heard = [pgStore(two!).keysChanged(), pgStore(three!).keysChanged()];
    expect((await admin(one, 'DELETE', `/${created.json.id as string}`)).status).toBe(200);
    await Promise.all(heard);
    for (const gateway of [one, two, three]) {
      const refused = await chat(gateway!, key);
      expect(refused.status).toBe(401);
    }
  });

  it('tollgate keys and tollgate spend use the same PostgreSQL as the servers, from the same environment', { timeout: 180_000 }, async () => {
    prefix = testPrefix();
    const [one] = await startThree(database.url());
    const env = { TOLLGATE_DATABASE_URL: database.url(), TOLLGATE_REDIS_URL: REDIS_URL };
    const cli = async (...args: string[]) => {
      // A data folder of its own: what it reads and writes must come from PostgreSQL, not from it.
      const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
      try {
        const run = runCli([...args, '--data-dir', dataDir], env);
        const code = await run.exited;
        return { code, stdout: run.stdout(), stderr: run.stderr() };
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    };
    const created = await cli('keys', 'create', '--name', 'from-cli', '--json');
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: string };
    upstream.script('m', { kind: 'usage', usage: { inputTokens: 10, outputTokens: 1000 } });
    expect((await chat(one!, key)).status).toBe(200);
    await one!.server.app.store.ledger.settled();
    const spend = await cli('spend', '--by', 'key', '--json');
    expect(spend.code, spend.stderr).toBe(0);
    expect(spend.stdout).toContain('"api_key_name": "from-cli"');
    const listed = await cli('keys', 'list', '--json');
    expect(listed.stdout).toContain('from-cli');
  });

  it('one key with a total budget, 300 concurrent requests round-robin: the refused get 402 and never reach the upstream; spend stays within the budget plus one request', async () => {
    prefix = testPrefix();
    const instances = await startThree(database.url());
    upstream.script('m', { kind: 'usage', usage: { inputTokens: 10, outputTokens: 1000 } });
    const budgetUsd = 0.015;
    const created = await admin(instances[0]!, 'POST', '', { name: 'budgeted', budgetUsd, budgetPeriod: 'total' });
    const key = created.json.key as string;
    const results = await Promise.all(Array.from({ length: 300 }, (_, index) => chat(instances[index % 3]!, key)));
    const served = results.filter((result) => result.status === 200);
    const refused = results.filter((result) => result.status === 402);
    expect(served.length + refused.length).toBe(300);
    expect(served.length).toBeGreaterThan(0);
    for (const result of refused) expect(JSON.parse(result.text).error.code).toBe('insufficient_budget');
    expect(upstream.requests).toHaveLength(served.length);
    const spent = await instances[1]!.server.app.store.spend.costSince({ keyId: created.json.id as string });
    expect(spent).toBe(served.length * PER_REQUEST_NANOS);
    expect(spent).toBeLessThanOrEqual(Math.round(budgetUsd * 1e9) + MAX_REQUEST_NANOS);
    // No request was refused that the budget had room for.
    expect(spent + MAX_REQUEST_NANOS).toBeGreaterThan(Math.round(budgetUsd * 1e9));
  });

  it('PostgreSQL cut off mid-load: answers keep coming, and after the drain every answer a client saw complete is in PostgreSQL exactly once', async () => {
    prefix = testPrefix();
    const proxy = await startTcpProxy({ host: PG_HOST, port: PG_PORT });
    // A database with no keys, and no admin key: an open gateway on loopback.
    const own = await createTestDatabase();
    try {
      const instances = await startThree(own.url(proxy.port), {});
      let answered = 0;
      let cut: Promise<void> | undefined;
      const results = await Promise.all(
        Array.from({ length: 150 }, (_, index) =>
          chat(instances[index % 3]!).then((result) => {
            // A third of the way through, PostgreSQL goes away for every instance.
            if (++answered === 50) cut = proxy.cut();
            return result;
          }),
        ),
      );
      await cut;
      expect(results.filter((result) => result.status !== 200).map((result) => result.text)).toEqual([]);
      const health = await Promise.all(instances.map(async (gateway) => (await request(`${gateway.url}/health`)).body.json() as Promise<{ store: { ledger: string; spooled: number } }>));
      const spooled = health.reduce((sum, body) => sum + body.store.spooled, 0);
      expect(spooled).toBeGreaterThan(0);
      expect(health.some((body) => body.store.ledger === 'degraded')).toBe(true);

      await proxy.restore();
      for (const gateway of instances) await pgStore(gateway).ledger.drainSpool();
      for (const gateway of instances) expect(pgStore(gateway).health()).toEqual({ ledger: 'ok', spooled: 0 });

      const ids = results.map((result) => result.requestId);
      expect(new Set(ids).size).toBe(150);
      const { rows } = await pgStore(instances[0]!).pool.query<{ id: string; n: number }>(
        'SELECT id, count(*) AS n FROM requests WHERE id = ANY($1) GROUP BY id',
        [ids],
      );
      expect(rows).toHaveLength(150);
      expect(rows.every((row) => row.n === 1)).toBe(true);
      // Nothing under another id either (a replayed batch would add suffixed copies).
      const { rows: all } = await pgStore(instances[0]!).pool.query<{ n: number }>('SELECT count(*) AS n FROM requests WHERE key_id IS NULL');
      expect(all[0]!.n).toBe(150);
    } finally {
      await Promise.all(open.splice(0).map((gateway) => gateway.close()));
      await proxy.close();
      await own.drop();
    }
  });
});
