// The shared-store section: one Tollgate on PostgreSQL + Redis (the ledger, keys and budget
// counters shared by several instances) against one on SQLite + memory (the embedded default),
// in the same run, on the same upstream and load. Both carry a global budget, so every request
// reserves and settles a counter (in Redis on one side, in memory on the other) and writes its
// ledger rows (to PostgreSQL on one side, SQLite on the other). Throughput alternates the sides
// run by run; added latency alternates them request by request.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { runLoad, type LoadResult } from './load.js';
import { spawnGateway, stopChild, waitForHealth, type GatewaySectionOptions } from './procs.js';
import { runSequential, type SeqResult } from './sequential.js';
import { median } from './stats.js';

export const SHARED_STORE_TARGETS = { throughputRatio: 0.8, p50AddedMs: 1 };

export const PG_ADMIN_URL = process.env.TOLLGATE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TOLLGATE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface SharedStoreOptions extends GatewaySectionOptions {
  chatBody: string;
  warmup: number;
  requests: number;
}

export interface SharedStoreResult {
  status: 'ran' | 'skipped' | 'failed';
  note?: string;
  connections?: number;
  throughput?: { sqliteMemory: number; postgresRedis: number; ratio: number; runs: { sqliteMemory: LoadResult[]; postgresRedis: LoadResult[] } };
  /** One request at a time, whole request, ms. */
  p50?: { sqliteMemory: number; postgresRedis: number; addedMs: number };
  sequential?: SeqResult;
  met?: { throughput: boolean; p50: boolean };
}

function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), 1000);
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export async function pgAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function benchSharedStore(opts: SharedStoreOptions): Promise<SharedStoreResult> {
  const database = `tollgate_bench_${randomBytes(6).toString('hex')}`;
  try {
    await pgAdmin((client) => client.query(`CREATE DATABASE ${database}`));
  } catch (error) {
    return { status: 'skipped', note: `PostgreSQL does not answer at ${new URL(PG_ADMIN_URL).host} (${(error as Error).message})` };
  }
  const prefix = `tollgate-bench:${randomBytes(6).toString('hex')}:`;
  const children: Array<ReturnType<typeof spawnGateway>> = [];
  try {
    if (!(await redisAnswers(REDIS_URL))) return { status: 'skipped', note: `Redis does not answer at ${new URL(REDIS_URL).host}` };
    const databaseUrl = new URL(PG_ADMIN_URL);
    databaseUrl.pathname = `/${database}`;
    const start = async (name: string, store: Record<string, unknown> | undefined) => {
      const dir = path.join(opts.tmp, `shared-store-${name}`);
      await mkdir(dir, { recursive: true });
      const configPath = path.join(dir, 'config.json');
      const config = {
        providers: { bench: { kind: 'openai-compatible', baseURL: `${opts.upOrigin}/v1`, apiKey: opts.upstreamApiKey, models: { m: { pricing: { input: 1, output: 2 } } } } },
        budgets: [{ scope: 'global', limitUsd: 1_000_000, period: 'month' }],
        logLevel: 'warn',
        ...(store ? { store } : {}),
      };
      await writeFile(configPath, JSON.stringify(config, null, 2));
      const port = await opts.freePort();
      const child = spawnGateway(opts.root, [...opts.nodeArgs, 'serve', '--port', String(port), '--host', '127.0.0.1', '--config', configPath, '--data-dir', path.join(dir, 'data')], { ...process.env, TOLLGATE_DATABASE_URL: '', TOLLGATE_REDIS_URL: '' });
      children.push(child);
      const origin = `http://127.0.0.1:${port}`;
      await waitForHealth(`${origin}/health`, child, 60_000, `Tollgate (${name})`);
      return origin;
    };
    opts.log('bench: shared store: starting Tollgate on SQLite + memory, and on PostgreSQL + Redis');
    const sqliteOrigin = await start('sqlite-memory', undefined);
    const postgresOrigin = await start('postgres-redis', { database: databaseUrl.toString(), redis: REDIS_URL, redisKeyPrefix: prefix });
    const headers = { 'content-type': 'application/json', 'user-agent': 'tollgate-bench' };
    const target = (name: 'tollgate' | 'direct', origin: string) => ({ name, url: `${origin}/v1/chat/completions`, headers, body: opts.chatBody });

    // Warm both up first (connections to the database and Redis, providers loaded, JIT).
    for (const origin of [sqliteOrigin, postgresOrigin]) {
      await runLoad(target('tollgate', origin), { connections: opts.connections, durationS: Math.min(2, opts.durationS), verifyBody: opts.check });
    }
    const runs = { sqliteMemory: [] as LoadResult[], postgresRedis: [] as LoadResult[] };
    for (let index = 0; index < Math.max(1, opts.runs); index++) {
      // Alternate which side goes first, so drift on the machine falls on both alike.
      const order = index % 2 === 0 ? (['sqliteMemory', 'postgresRedis'] as const) : (['postgresRedis', 'sqliteMemory'] as const);
      for (const side of order) {
        opts.log(`bench: shared store: ${side}, ${opts.connections} connections, ${opts.durationS} s`);
        const origin = side === 'sqliteMemory' ? sqliteOrigin : postgresOrigin;
        runs[side].push(await runLoad(target('tollgate', origin), { connections: opts.connections, durationS: opts.durationS, verifyBody: opts.check }));
      }
    }
    const rps = (results: LoadResult[]) => median(results.map((result) => result.reqPerSec));
    const sqliteRps = rps(runs.sqliteMemory);
    const postgresRps = rps(runs.postgresRedis);

    opts.log(`bench: shared store: one at a time, ${opts.warmup} warm-up + ${opts.requests} per side`);
    const sequential = await runSequential(
      [
        { name: 'sqliteMemory', origin: sqliteOrigin, path: '/v1/chat/completions', headers, body: opts.chatBody },
        { name: 'postgresRedis', origin: postgresOrigin, path: '/v1/chat/completions', headers, body: opts.chatBody },
      ],
      { warmup: opts.warmup, requests: opts.requests, timeLimitMs: 120_000, check: opts.check },
    );
    const p50 = (side: string) => (sequential.sides[side]?.total.p50 ?? Number.NaN) / 1000;
    const addedMs = p50('postgresRedis') - p50('sqliteMemory');
    const ratio = postgresRps / sqliteRps;
    return {
      status: 'ran',
      connections: opts.connections,
      throughput: { sqliteMemory: sqliteRps, postgresRedis: postgresRps, ratio, runs },
      p50: { sqliteMemory: p50('sqliteMemory'), postgresRedis: p50('postgresRedis'), addedMs },
      sequential,
      met: { throughput: ratio >= SHARED_STORE_TARGETS.throughputRatio, p50: addedMs <= SHARED_STORE_TARGETS.p50AddedMs },
    };
  } catch (error) {
    return { status: 'failed', note: (error as Error).message.split('\n')[0]?.slice(0, 300) ?? 'failed' };
  } finally {
    for (const child of children) await stopChild(child.child, 5000);
    await pgAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).catch(() => undefined);
    await deleteRedisPrefix(prefix).catch(() => undefined);
  }
}

/** Deletes the keys the bench left under its prefix (SCAN, never FLUSHALL: others share the server). */
async function deleteRedisPrefix(prefix: string): Promise<void> {
  const { createClient } = await import('redis');
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length) await client.del(keys);
    }
  } finally {
    await client.close();
  }
}

export function renderSharedStore(result: SharedStoreResult): string {
  if (result.status !== 'ran') return `Shared store (PostgreSQL + Redis vs SQLite + memory): ${result.status}${result.note ? ` (${result.note})` : ''}\n`;
  const { throughput, p50, met } = result as Required<SharedStoreResult>;
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  return [
    'Shared store (one instance on PostgreSQL + Redis vs one on SQLite + memory, same run):',
    `  throughput at ${result.connections} connections: ${throughput.postgresRedis.toFixed(0)} vs ${throughput.sqliteMemory.toFixed(0)} req/s = ${throughput.ratio.toFixed(2)}× (target ≥ ${SHARED_STORE_TARGETS.throughputRatio}×: ${mark(met.throughput)})`,
    `  p50 one at a time: ${p50.postgresRedis.toFixed(3)} vs ${p50.sqliteMemory.toFixed(3)} ms = ${p50.addedMs >= 0 ? '+' : ''}${p50.addedMs.toFixed(3)} ms (target ≤ +${SHARED_STORE_TARGETS.p50AddedMs} ms: ${mark(met.p50)})`,
    '',
  ].join('\n');
}
