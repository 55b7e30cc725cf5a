/**
 * `tollgate serve --workers N`: N processes on one port. More than one needs Redis (exit 2
 * without it); with Redis, a key's budget holds exactly across the workers under concurrency,
 * and SIGTERM drains every worker and exits 0.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_USD, chatBurst, COST_NANOS, expectSpendWithinBudget, MAX_REQUEST_NANOS } from '../support/chat-burst.js';
import { runCli, waitForUrl } from '../support/cli.js';
import { createTestDatabase, postgresAvailable } from '../support/postgres.js';
import { deletePrefix, REDIS_URL, redisAvailable, testPrefix } from '../support/redis.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

const REQUESTS = 60;

let upstream: StartedUpstream;
let work: string;
const prefix = testPrefix();
const sharedPrefix = testPrefix();

beforeAll(async () => {
  upstream = await startUpstream();
  upstream.script('m', { kind: 'usage', usage: { inputTokens: 10, outputTokens: 20 } });
  work = mkdtempSync(join(tmpdir(), 'tollgate-workers-'));
});
afterAll(async () => {
  await upstream?.close();
  rmSync(work, { recursive: true, force: true });
  if (redisAvailable) await Promise.all([deletePrefix(prefix), deletePrefix(sharedPrefix)]);
});

function writeConfig(name: string, extra: Record<string, unknown> = {}): string {
  const file = join(work, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      logLevel: 'warn',
      providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { m: { pricing: { input: 1, output: 1 } } } } },
      ...extra,
    }),
  );
  return file;
}

describe('tollgate serve --workers', () => {
  it('refuses more than one worker without Redis, with code 2 and what to set', { timeout: 60_000 }, async () => {
    const cli = runCli(['serve', '--port', '0', '--workers', '2', '--config', writeConfig('no-redis'), '--data-dir', join(work, 'no-redis')], {});
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain('tollgate: --workers 2 runs 2 processes');
    expect(cli.stderr()).toContain('set TOLLGATE_REDIS_URL (or store.redis in the config), or run one worker');
    expect(cli.stderr()).not.toMatch(/listening on|\n\s+at /);
  });

  it('refuses a worker count that is not a whole number from 1, or auto', { timeout: 120_000 }, async () => {
    for (const bad of ['0', 'two', '-1']) {
      const cli = runCli(['serve', '--port', '0', `--workers=${bad}`, '--config', writeConfig('bad-count')], {});
      expect(await cli.exited, bad).toBe(2);
      expect(cli.stderr()).toContain(`--workers must be a whole number from 1 to 1024, or auto (got "${bad}")`);
    }
  });

  describe.skipIf(!redisAvailable)(`with Redis${redisAvailable ? '' : ' (skipped: no Redis on 127.0.0.1:6379)'}`, () => {
    it('2 workers on one port keep one key budget exact under concurrency, and SIGTERM drains both (exit 0)', async () => {
      const dataDir = join(work, 'two');
      const configFile = writeConfig('two', { store: { redis: REDIS_URL, redisKeyPrefix: prefix } });
      const keys = runCli(['keys', 'create', '--name', 'shared', '--budget', String(BUDGET_USD), '--period', 'total', '--json', '--config', configFile, '--data-dir', dataDir], {});
      expect(await keys.exited, keys.stderr()).toBe(0);
      const { key } = JSON.parse(keys.stdout()) as { key: string };

      const server = runCli(['serve', '--port', '0', '--workers', '2', '--config', configFile, '--data-dir', dataDir], {});
      try {
        // Three processes each load the gateway: on a loaded machine that takes a while.
        const url = await waitForUrl(server, 120_000);
        expect(server.stderr()).toContain(`listening on ${url} with 2 workers`);
        expect(server.stderr()).toMatch(/policy state: redis 127\.0\.0\.1:6379/);
        const children = readFileSync(`/proc/${server.child.pid}/task/${server.child.pid}/children`, 'utf8').trim().split(/\s+/);
        expect(children).toHaveLength(2);

        const outcomes = (await chatBurst(url, key, REQUESTS)).map((outcome) => outcome.status);
        expect(outcomes.filter((status) => status !== 200 && status !== 402)).toEqual([]);
        const served = outcomes.filter((status) => status === 200).length;
        expect(served).toBeGreaterThanOrEqual(1);
        // Each worker alone would let ten in.
        expect(served).toBeLessThanOrEqual(11);
        expect(upstream.requests.filter((recorded) => recorded.model === 'm')).toHaveLength(served);

        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
        expect(server.stderr().match(/drained in \d+ ms/g)).toHaveLength(2);
      } finally {
        await server.stop();
      }
      const spend = runCli(['spend', '--key', 'shared', '--json', '--config', configFile, '--data-dir', dataDir], {});
      expect(await spend.exited, spend.stderr()).toBe(0);
      const { total } = JSON.parse(spend.stdout()) as { total: { total_cost: number; request_count: number } };
      expect(Math.round(total.total_cost * 1e9)).toBeLessThanOrEqual(BUDGET_USD * 1e9 + MAX_REQUEST_NANOS);
      expect(Math.round(total.total_cost * 1e9)).toBe(total.request_count * COST_NANOS);
    }, 300_000);
  });
  const shared = redisAvailable && postgresAvailable;
  describe.skipIf(!shared)(`on PostgreSQL and Redis${shared ? '' : ' (skipped: needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379)'}`, () => {
    it('2 workers, 300 concurrent requests under one key total budget: the refused get 402 and never reach the upstream; spend stays within the budget plus one request', async () => {
      const database = await createTestDatabase();
      const dataDir = join(work, 'shared');
      const configFile = writeConfig('shared', { store: { database: database.url(), redis: REDIS_URL, redisKeyPrefix: sharedPrefix } });
      const server = runCli(['serve', '--port', '0', '--workers', '2', '--config', configFile, '--data-dir', dataDir], {});
      try {
        const keys = runCli(['keys', 'create', '--name', 'shared-pg', '--budget', String(BUDGET_USD), '--period', 'total', '--json', '--config', configFile, '--data-dir', dataDir], {});
        expect(await keys.exited, keys.stderr()).toBe(0);
        const { key } = JSON.parse(keys.stdout()) as { key: string };
        const url = await waitForUrl(server, 120_000);
        expect(server.stderr()).toContain(`listening on ${url} with 2 workers`);

        const calledBefore = upstream.requests.length;
        const outcomes = await chatBurst(url, key, 300);
        const served = outcomes.filter((outcome) => outcome.status === 200).length;
        const refused = outcomes.filter((outcome) => outcome.status === 402);
        expect(served + refused.length).toBe(300);
        for (const outcome of refused) expect(JSON.parse(outcome.body)).toMatchObject({ error: { code: 'insufficient_budget', type: 'insufficient_budget' } });
        // Only the served reached the upstream.
        expect(upstream.requests.length - calledBefore).toBe(served);

        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
        // Within the budget plus one request. Nothing refused that the budget had room for.
        await expectSpendWithinBudget('shared-pg', served, { configFile, dataDir });
      } finally {
        await server.stop();
        await database.drop();
      }
    }, 300_000);
  });
});
