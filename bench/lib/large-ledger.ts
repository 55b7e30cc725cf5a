// The large-ledger section: a Tollgate on a ledger of 2 million generated requests (30 days at
// under one a second), on SQLite and on PostgreSQL (a database of its own) in turn. How long it
// takes from start to a healthy /health; how long 30-day reports and /v1/credits take; and how
// much a running report delays other requests (/health one at a time while 30-day reports by
// hour, the longest, run back to back, against /health alone).
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { LEDGER_FILE } from '../../src/config/data-home.js';
import { parseConfig } from '../../src/config/load.js';
import { addDays } from '../../src/core/utc-date.js';
import { createLogger } from '../../src/logger.js';
import { createStore } from '../../src/store/create-store.js';
import { GENERATED_DAYS, GENERATED_START, generatePostgresLedger, generateSqliteLedger } from './generated-ledger.js';
import { spawnGateway, stopChild } from './procs.js';
import { PG_ADMIN_URL, pgAdmin } from './shared-store.js';
import { median } from './stats.js';

export const LARGE_LEDGER_TARGETS = { reportMs: 50, healthDelayMs: 5, startupMs: 1000 };

export interface LargeLedgerOptions {
  root: string;
  nodeArgs: string[];
  tmp: string;
  rows: number;
  freePort: () => Promise<number>;
  log: (line: string) => void;
}

export type LedgerBackend = 'SQLite' | 'PostgreSQL';

/** Both backends' runs; `failed` when either failed. */
export interface LargeLedgerResult {
  status: 'ran' | 'failed';
  note?: string;
  runs: LargeLedgerRun[];
}

export interface LargeLedgerRun {
  backend: LedgerBackend;
  status: 'ran' | 'skipped' | 'failed';
  note?: string;
  rows?: number;
  generateS?: number;
  /** Spawn to the first 200 from /health, ms. */
  startupMs?: number;
  /** Median (and max) of sequential calls, ms, whole HTTP round trip. */
  reports?: Record<'byDay' | 'byHour' | 'byTag' | 'byModel' | 'credits', { p50: number; max: number }>;
  /** /health one at a time, ms: alone, and while reports run back to back. */
  health?: { alone: { p50: number; p99: number; max: number }; duringReports: { p50: number; p99: number; max: number; reportsRun: number }; addedP99Ms: number; addedMaxMs: number };
  met?: { report: boolean; healthDelay: boolean; startup: boolean };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
};

async function timed(url: string): Promise<number> {
  const started = performance.now();
  const response = await request(url);
  await response.body.dump();
  if (response.statusCode !== 200) throw new Error(`${url}: HTTP ${response.statusCode}`);
  return performance.now() - started;
}

/** A ledger to bench: made and filled before Tollgate starts, and what Tollgate is told to use it. */
interface LedgerSetup {
  /** Environment for `tollgate serve`. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

async function sqliteLedger(dataDir: string, rows: number): Promise<LedgerSetup> {
  await (await createStore(parseConfig({}, {}), dataDir, createLogger('silent'))).close();
  generateSqliteLedger(path.join(dataDir, LEDGER_FILE), rows);
  return { env: { TOLLGATE_DATABASE_URL: '' }, drop: async () => undefined };
}

async function postgresLedger(dataDir: string, rows: number): Promise<LedgerSetup | string> {
  const database = `tollgate_bench_${randomBytes(6).toString('hex')}`;
  try {
    await pgAdmin((client) => client.query(`CREATE DATABASE ${database}`));
  } catch (error) {
    return `PostgreSQL does not answer at ${new URL(PG_ADMIN_URL).host} (${(error as Error).message})`;
  }
  const drop = async () => {
    await pgAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).catch(() => undefined);
  };
  try {
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${database}`;
    await (await createStore(parseConfig({ store: { database: url.toString() } }, {}), dataDir, createLogger('silent'))).close();
    await generatePostgresLedger(url.toString(), rows);
    return { env: { TOLLGATE_DATABASE_URL: url.toString() }, drop };
  } catch (error) {
    await drop();
    throw error;
  }
}

export async function benchLargeLedger(opts: LargeLedgerOptions): Promise<LargeLedgerResult> {
  const runs: LargeLedgerRun[] = [];
  for (const backend of ['SQLite', 'PostgreSQL'] as const) runs.push(await benchOneLedger(backend, opts));
  const failed = runs.filter((run) => run.status === 'failed');
  return failed.length
    ? { status: 'failed', note: failed.map((run) => `${run.backend}: ${run.note}`).join('; '), runs }
    : { status: 'ran', runs };
}

async function benchOneLedger(backend: LedgerBackend, opts: LargeLedgerOptions): Promise<LargeLedgerRun> {
  const dir = path.join(opts.tmp, `large-ledger-${backend.toLowerCase()}`);
  const dataDir = path.join(dir, 'data');
  let child: ReturnType<typeof spawnGateway> | undefined;
  let ledger: LedgerSetup | undefined;
  try {
    await mkdir(dataDir, { recursive: true });
    opts.log(`bench: large ledger (${backend}): generating ${opts.rows.toLocaleString('en')} requests`);
    const generating = performance.now();
    const setup = backend === 'SQLite' ? await sqliteLedger(dataDir, opts.rows) : await postgresLedger(dataDir, opts.rows);
    if (typeof setup === 'string') return { backend, status: 'skipped', note: setup };
    ledger = setup;
    const generateS = (performance.now() - generating) / 1000;

    const configPath = path.join(dir, 'config.json');
    await writeFile(configPath, JSON.stringify({ logLevel: 'warn' }));
    const port = await opts.freePort();
    const origin = `http://127.0.0.1:${port}`;
    const spawned = performance.now();
    child = spawnGateway(opts.root, [...opts.nodeArgs, 'serve', '--port', String(port), '--host', '127.0.0.1', '--config', configPath, '--data-dir', dataDir], {
      ...process.env,
      ...ledger.env,
      TOLLGATE_REDIS_URL: '',
    });
    let startupMs: number | undefined;
    while (startupMs === undefined) {
      if (child.child.exitCode !== null) throw new Error(`Tollgate exited before it was healthy:\n${child.output}`);
      if (performance.now() - spawned > 60_000) throw new Error(`Tollgate was not healthy within 60 s:\n${child.output}`);
      try {
        const response = await request(`${origin}/health`);
        await response.body.dump();
        if (response.statusCode === 200) startupMs = performance.now() - spawned;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    opts.log(`bench: large ledger (${backend}): healthy ${startupMs.toFixed(0)} ms after spawn`);

    const range = `start_date=${GENERATED_START}&end_date=${addDays(GENERATED_START, GENERATED_DAYS - 1)}`;
    const urls = {
      byDay: `${origin}/v1/report?${range}&group_by=day`,
      byHour: `${origin}/v1/report?${range}&group_by=day&date_part=hour`,
      byTag: `${origin}/v1/report?${range}&group_by=tag`,
      byModel: `${origin}/v1/report?${range}&group_by=model`,
      credits: `${origin}/v1/credits`,
    };
    const reports = {} as NonNullable<LargeLedgerRun['reports']>;
    for (const [name, url] of Object.entries(urls) as Array<[keyof typeof urls, string]>) {
      // The first call starts a read worker and warms its page cache: not what is measured.
      await timed(url);
      const times: number[] = [];
      for (let index = 0; index < 20; index++) times.push(await timed(url));
      reports[name] = { p50: median(times), max: Math.max(...times) };
      opts.log(`bench: large ledger (${backend}): ${name} p50 ${reports[name].p50.toFixed(1)} ms, max ${reports[name].max.toFixed(1)} ms`);
    }

    const healthTimes = async (count: number) => {
      const times: number[] = [];
      for (let index = 0; index < count; index++) times.push(await timed(`${origin}/health`));
      return times;
    };
    await healthTimes(50);
    const alone = await healthTimes(300);
    let running = true;
    let reportsRun = 0;
    const reportLoop = async () => {
      while (running) {
        await timed(urls.byHour);
        reportsRun++;
      }
    };
    const loop = reportLoop();
    const during = await healthTimes(300);
    running = false;
    await loop;
    const stats = (times: number[]) => ({ p50: median(times), p99: percentile(times, 0.99), max: Math.max(...times) });
    const health = {
      alone: stats(alone),
      duringReports: { ...stats(during), reportsRun },
      addedP99Ms: percentile(during, 0.99) - percentile(alone, 0.99),
      addedMaxMs: Math.max(...during) - median(alone),
    };
    opts.log(`bench: large ledger (${backend}): /health p99 ${health.alone.p99.toFixed(2)} ms alone, ${health.duringReports.p99.toFixed(2)} ms during ${reportsRun} reports`);
    return {
      backend,
      status: 'ran',
      rows: opts.rows,
      generateS,
      startupMs,
      reports,
      health,
      met: {
        report: reports.byDay.p50 <= LARGE_LEDGER_TARGETS.reportMs,
        healthDelay: health.addedP99Ms <= LARGE_LEDGER_TARGETS.healthDelayMs,
        startup: startupMs < LARGE_LEDGER_TARGETS.startupMs,
      },
    };
  } catch (error) {
    return { backend, status: 'failed', note: (error as Error).message.split('\n')[0] };
  } finally {
    if (child) await stopChild(child.child);
    await ledger?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

export function renderLargeLedger(result: LargeLedgerResult): string {
  return result.runs.map(renderRun).join('');
}

function renderRun(run: LargeLedgerRun): string {
  if (run.status !== 'ran') return `Large ledger (${run.backend}): ${run.status}${run.note ? ` (${run.note})` : ''}\n`;
  const { reports, health, met, startupMs, rows, generateS } = run as Required<LargeLedgerRun>;
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const line = (name: string, r: { p50: number; max: number }) => `${name} p50 ${r.p50.toFixed(1)} ms (max ${r.max.toFixed(1)})`;
  return [
    `Large ledger (${rows.toLocaleString('en')} requests over ${GENERATED_DAYS} days, ${run.backend}, generated in ${generateS.toFixed(0)} s):`,
    `  start-up to /health: ${startupMs.toFixed(0)} ms (target < ${LARGE_LEDGER_TARGETS.startupMs} ms: ${mark(met.startup)})`,
    `  30-day report: ${line('by day', reports.byDay)} (target ≤ ${LARGE_LEDGER_TARGETS.reportMs} ms: ${mark(met.report)}); ${line('by hour', reports.byHour)}; ${line('by tag', reports.byTag)}; ${line('by model', reports.byModel)}`,
    `  /v1/credits: ${line('', reports.credits).trim()}`,
    `  /health one at a time: p99 ${health.alone.p99.toFixed(2)} ms alone, ${health.duringReports.p99.toFixed(2)} ms while ${health.duringReports.reportsRun} hourly reports ran = +${health.addedP99Ms.toFixed(2)} ms (target ≤ ${LARGE_LEDGER_TARGETS.healthDelayMs} ms: ${mark(met.healthDelay)}); worst +${health.addedMaxMs.toFixed(2)} ms`,
    '',
  ].join('\n');
}
