/**
 * A ledger of 2 million requests (30 days at under one a second), made in SQLite in one
 * statement, behind the real server: the 30-day report is exact to the nanodollar against the
 * request rows, and it runs off the event loop, so a `/health` sent while reports run is answered
 * before they finish. Timings (report, /health delay, start-up) are in `npm run bench`'s
 * large-ledger section, not asserted here. PostgreSQL is measured there only: filling the same
 * ledger in it (rows, indexes, rollups) takes about two minutes, too long for the test suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED_DAYS, GENERATED_START, generateSqliteLedger } from '../../bench/lib/generated-ledger.js';
import { LEDGER_FILE } from '../../src/config/data-home.js';
import { parseConfig } from '../../src/config/load.js';
import { addDays } from '../../src/core/utc-date.js';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createStore } from '../../src/store/create-store.js';
import type { RawReportRow } from '../../src/store/report-rows.js';

const ROWS = 2_000_000;
const END_DATE = addDays(GENERATED_START, GENERATED_DAYS - 1);

type DaySums = Omit<RawReportRow, 'grp'> & { day: string };

describe(`a ledger of ${ROWS.toLocaleString('en')} requests`, () => {
  let dataDir: string;
  let server: RunningServer;
  const config = parseConfig({}, {});

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tollgate-large-ledger-'));
    await (await createStore(config, dataDir, createLogger('silent'))).close();
    generateSqliteLedger(join(dataDir, LEDGER_FILE), ROWS);
    server = await startServer({ config, dataDir, port: 0, host: '127.0.0.1', logLevel: 'silent', env: {} });
  }, 900_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const report = async (query: string) => {
    const response = await request(`${server.url}/v1/report?start_date=${GENERATED_START}&end_date=${END_DATE}&${query}`);
    const body = (await response.body.json()) as { results: Array<Record<string, number | string>> };
    expect(response.statusCode, JSON.stringify(body)).toBe(200);
    return body.results;
  };

  it('reports 30 days by day exactly as the request rows sum, to the nanodollar', async () => {
    const db = new Database(join(dataDir, LEDGER_FILE), { readonly: true });
    const fromRows = db
      .prepare(
        `SELECT substr(ts, 1, 10) AS day, count(*) AS request_count, coalesce(sum(cost_nanos), 0) AS cost_nanos,
           sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cache_read_tokens) AS cached_input_tokens,
           sum(cache_write_tokens) AS cache_creation_input_tokens, sum(reasoning_tokens) AS reasoning_tokens,
           sum(cost_nanos IS NULL AND served_model IS NOT NULL) AS unpriced_request_count
         FROM requests GROUP BY 1 ORDER BY 1`,
      )
      .all() as DaySums[];
    db.close();
    expect(fromRows).toHaveLength(GENERATED_DAYS);
    expect(fromRows.reduce((sum, day) => sum + day.request_count, 0)).toBe(ROWS);
    const results = await report('group_by=day');
    expect(results).toEqual(
      fromRows.map(({ cost_nanos, ...sums }) => ({ ...sums, total_cost: cost_nanos / 1e9, market_cost: cost_nanos / 1e9, refused_count: 0 })),
    );
  }, 300_000);

  it('answers /health while reports run, before they finish: they run off the event loop', async () => {
    const order: string[] = [];
    const reports = Array.from({ length: 12 }, (_, index) =>
      report(index % 2 ? 'group_by=day&date_part=hour' : 'group_by=tag').then(() => order.push('report')),
    );
    const health = request(`${server.url}/health`).then(async (response) => {
      expect(response.statusCode).toBe(200);
      await response.body.dump();
      order.push('health');
    });
    await Promise.all([...reports, health]);
    expect(order.at(-1)).toBe('report');
    expect(order.indexOf('health')).toBeLessThan(order.length - 1);
  }, 300_000);
});
