/**
 * What a SQLite ledger commit writes: the request log's key, user, key-name and status indexes
 * hold only the rows those filters can find (a row without a key or user, or a successful one,
 * costs its commit no page of them), and attempts are one b-tree, keyed by request and order. A
 * ledger written before is upgraded with every row, report and log page as it was; and every
 * filter of the log still runs on an index, newest first, not by sorting the ledger.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportScope } from '../../src/core/types.js';
import { LEDGER_FILE } from '../../src/config/data-home.js';
import { parseConfig } from '../../src/config/load.js';
import { pino } from 'pino';
import { createLogger } from '../../src/logger.js';
import { createStore } from '../../src/store/create-store.js';
import { requestLog } from '../../src/store/request-rows.js';
import { COLUMN_CODEC } from '../../src/store/sqlite/keys.js';
import { ATTEMPT_COLUMNS, ATTEMPTS_WITHOUT_ROWID_VERSION, PARTIAL_LOG_INDEXES_VERSION } from '../../src/store/sqlite/schema.js';
import type { RequestListQuery, RequestRow, Store } from '../../src/store/types.js';
import { costFromRows, generatedLedger, reportFromRows, reportQueries, SPEND_FILTERS, withoutRefused } from './contract/rollup-reads.js';
import { attemptRow } from './contract/rows.js';

const config = parseConfig({}, {});
const logger = createLogger('silent');

/** The schema before: every row in each of the four indexes, attempts with a rowid and an index of their key. */
const SCHEMA_BEFORE = `CREATE TABLE attempts_with_rowid (${ATTEMPT_COLUMNS});
  INSERT INTO attempts_with_rowid SELECT * FROM attempts;
  DROP TABLE attempts;
  ALTER TABLE attempts_with_rowid RENAME TO attempts;
  DROP INDEX requests_key_ts;
  CREATE INDEX requests_key_ts ON requests (key_id, ts);
  DROP INDEX requests_user_ts;
  CREATE INDEX requests_user_ts ON requests (user, ts);
  DROP INDEX requests_key_name_ts;
  CREATE INDEX requests_key_name_ts ON requests (key_name, ts);
  DROP INDEX requests_status_ts;
  CREATE INDEX requests_status_ts ON requests (status, ts);`;

const LOG_QUERIES: RequestListQuery[] = [
  { limit: 500 },
  { limit: 7 },
  { limit: 500, model: 'openai/gpt-4o' },
  { limit: 500, model: 'openai/o1' },
  { limit: 500, apiKeyName: 'ci' },
  { limit: 5, apiKeyName: 'web' },
  { limit: 500, status: 'ok' },
  { limit: 9, status: 'ok' },
  { limit: 500, status: 'error' },
  { limit: 3, status: 'error' },
  { limit: 500, status: 'cancelled' },
  { limit: 500, errorKind: 'upstream_timeout' },
  { limit: 500, status: 'error', apiKeyName: 'ci' },
];
const LOG_SCOPES: ReportScope[] = [{ kind: 'all' }, { kind: 'key', keyId: 'k1' }, { kind: 'key', keyId: 'k4' }, { kind: 'user', user: 'alice' }, { kind: 'user', user: '' }];

/** A few of the generated requests cancelled: the status filters see all three statuses. */
function ledgerRows(): RequestRow[] {
  return generatedLedger(300, 5).map((row, index) => (index % 17 === 4 ? { ...row, status: 'cancelled', errorKind: null } : row));
}

/** Every page of every log query in every scope, followed through `before` to its end. */
async function everyLogPage(store: Store): Promise<unknown[]> {
  const pages: unknown[] = [];
  for (const scope of LOG_SCOPES) {
    for (const query of LOG_QUERIES) {
      let before: string | undefined;
      for (let page = 0; page < 400; page++) {
        const result = await store.reports.listRequests({ ...query, ...(before === undefined ? {} : { before }) }, scope);
        pages.push([query, scope, result]);
        if (!result.hasMore) break;
        before = result.requests.at(-1)!.id;
      }
    }
  }
  return pages;
}

/** The log as the rows say it: scope and filters, newest first (ties by id). */
function logFromRows(rows: RequestRow[], query: RequestListQuery, scope: ReportScope): string[] {
  return rows
    .filter(
      (r) =>
        (scope.kind !== 'key' || r.keyId === scope.keyId) &&
        (scope.kind !== 'user' || r.user === scope.user) &&
        (query.model === undefined || (r.servedModel ?? r.requestedModel) === query.model) &&
        (query.apiKeyName === undefined || r.keyName === query.apiKeyName) &&
        (query.status === undefined || r.status === query.status) &&
        (query.errorKind === undefined || r.errorKind === query.errorKind),
    )
    .sort((a, b) => (a.ts === b.ts ? (a.id < b.id ? 1 : -1) : a.ts < b.ts ? 1 : -1))
    .map((r) => r.id);
}

describe('the request log indexes on SQLite', () => {
  const rows = ledgerRows();
  let dir: string;
  const file = () => join(dir, LEDGER_FILE);
  const raw = <T>(run: (db: Database.Database) => T): T => {
    const db = new Database(file());
    try {
      return run(db);
    } finally {
      db.close();
    }
  };
  const schemaSql = () =>
    raw((db) =>
      Object.fromEntries(
        (db.prepare("SELECT name, sql FROM sqlite_master WHERE tbl_name IN ('requests', 'attempts') AND sql IS NOT NULL").all() as Array<{ name: string; sql: string }>).map(
          ({ name, sql }) => [name, sql],
        ),
      ),
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-log-indexes-'));
    const store = await createStore(config, dir, logger);
    for (const row of rows) store.ledger.record(row, row.id.endsWith('3') ? [attemptRow({ requestId: row.id, seq: 1 }), attemptRow({ requestId: row.id, seq: 2 })] : []);
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leave out the rows their filters cannot find, and attempts have no second b-tree', () => {
    const indexes = schemaSql();
    expect(indexes.requests_key_ts).toMatch(/WHERE key_id IS NOT NULL$/);
    expect(indexes.requests_user_ts).toMatch(/WHERE user IS NOT NULL$/);
    expect(indexes.requests_key_name_ts).toMatch(/WHERE key_name IS NOT NULL$/);
    expect(indexes.requests_status_ts).toMatch(/WHERE status <> 'ok'$/);
    expect(indexes.attempts).toMatch(/\) WITHOUT ROWID$/);
  });

  it('a ledger from before is upgraded with every row, log page, request, report and spend as they were', async () => {
    let store = await createStore(config, dir, logger);
    const before = {
      pages: await everyLogPage(store),
      requests: await Promise.all(rows.map((row) => store.reports.getRequest(row.id, { kind: 'all' }))),
      reports: await Promise.all(reportQueries().map(([query, scope]) => store.reports.report(query, scope))),
      spend: await Promise.all(SPEND_FILTERS.map((filter) => store.spend.costSince(filter))),
    };
    await store.close();
    // The pages are the rows', not merely the same twice.
    for (const [query, scope, page] of before.pages as Array<[RequestListQuery, ReportScope, { requests: RequestRow[] }]>) {
      if (query.limit === 500) expect(page.requests.map((r) => r.id), JSON.stringify([query, scope])).toEqual(logFromRows(rows, query, scope));
    }
    reportQueries().forEach(([query, scope], index) => expect(withoutRefused(before.reports[index]!)).toEqual(reportFromRows(rows, query, scope)));
    SPEND_FILTERS.forEach((filter, index) => expect(before.spend[index]).toBe(costFromRows(rows, filter)));

    raw((db) => {
      db.exec(SCHEMA_BEFORE);
      db.pragma(`user_version = ${PARTIAL_LOG_INDEXES_VERSION - 1}`);
    });
    expect(schemaSql().requests_status_ts).not.toMatch(/WHERE/);
    expect(schemaSql().attempts).not.toMatch(/WITHOUT ROWID/);
    const attemptsBefore = raw((db) => db.prepare('SELECT * FROM attempts ORDER BY request_id, seq').all());
    expect(attemptsBefore.length).toBeGreaterThan(20);
    // The upgrade says so before it starts: on a large ledger it takes a while.
    const said: Array<{ msg: string; from?: number; to?: number }> = [];
    const listening = pino({ level: 'info' }, { write: (line: string) => void said.push(JSON.parse(line)) });
    store = await createStore(config, dir, listening);
    try {
      expect(said).toEqual([
        expect.objectContaining({ from: PARTIAL_LOG_INDEXES_VERSION - 1, to: ATTEMPTS_WITHOUT_ROWID_VERSION, msg: expect.stringMatching(/^upgrading the ledger's schema .* takes a while/) }),
      ]);
      expect(schemaSql().requests_status_ts).toMatch(/WHERE status <> 'ok'$/);
      expect(schemaSql().attempts).toMatch(/WITHOUT ROWID$/);
      expect(raw((db) => db.pragma('user_version', { simple: true }))).toBe(ATTEMPTS_WITHOUT_ROWID_VERSION);
      expect(raw((db) => db.prepare('SELECT count(*) AS n FROM requests').get())).toEqual({ n: rows.length });
      expect(raw((db) => db.prepare('SELECT * FROM attempts ORDER BY request_id, seq').all())).toEqual(attemptsBefore);
      expect(raw((db) => [db.pragma('integrity_check', { simple: true }), db.pragma('foreign_key_check')])).toEqual(['ok', []]);
      expect(await everyLogPage(store)).toEqual(before.pages);
      expect(await Promise.all(rows.map((row) => store.reports.getRequest(row.id, { kind: 'all' })))).toEqual(before.requests);
      expect(await Promise.all(reportQueries().map(([query, scope]) => store.reports.report(query, scope)))).toEqual(before.reports);
      expect(await Promise.all(SPEND_FILTERS.map((filter) => store.spend.costSince(filter)))).toEqual(before.spend);
    } finally {
      await store.close();
    }
  });

  it('serve every filter of the log from an index, newest first, never by sorting every row', async () => {
    const plans: string[][] = [];
    const db = new Database(file(), { readonly: true });
    try {
      // The log's own statements, planned instead of run.
      const log = requestLog(async <T>(build: (add: (value: string | number) => string) => string) => {
        const params: Record<string, string | number> = {};
        const sql = build((value) => {
          const name = `p${Object.keys(params).length + 1}`;
          params[name] = value;
          return `@${name}`;
        });
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ detail: string }>).map((step) => step.detail);
        if (sql.includes('ORDER BY r.ts DESC')) plans.push(plan);
        return sql.startsWith('SELECT r.id') && !sql.includes('ORDER BY') ? (db.prepare(sql).all(params) as T[]) : [];
      }, COLUMN_CODEC);
      const expected: Array<[RequestListQuery, ReportScope, string]> = [
        [{ limit: 50 }, { kind: 'all' }, 'requests_ts'],
        [{ limit: 50, status: 'ok' }, { kind: 'all' }, 'requests_ts'],
        [{ limit: 50, status: 'error' }, { kind: 'all' }, 'requests_status_ts'],
        [{ limit: 50, status: 'cancelled' }, { kind: 'all' }, 'requests_status_ts'],
        [{ limit: 50, errorKind: 'upstream_timeout' }, { kind: 'all' }, 'requests_error_kind_ts'],
        [{ limit: 50, apiKeyName: 'ci' }, { kind: 'all' }, 'requests_key_name_ts'],
        [{ limit: 50, model: 'openai/gpt-4o' }, { kind: 'all' }, 'requests_model_ts'],
        [{ limit: 50 }, { kind: 'key', keyId: 'k1' }, 'requests_key_ts'],
        [{ limit: 50, status: 'ok' }, { kind: 'key', keyId: 'k1' }, 'requests_key_ts'],
        [{ limit: 50 }, { kind: 'user', user: 'alice' }, 'requests_user_ts'],
        [{ limit: 50, before: 'g10' }, { kind: 'all' }, 'requests_ts'],
        [{ limit: 50, before: 'g10', status: 'ok' }, { kind: 'all' }, 'requests_ts'],
      ];
      for (const [query, scope, index] of expected) {
        plans.length = 0;
        await log.list(query, scope);
        const plan = plans.at(-1)!.join(' | ');
        expect(plan, JSON.stringify(query)).toContain(`USING INDEX ${index}`);
        expect(plan, JSON.stringify(query)).not.toContain('USE TEMP B-TREE FOR ORDER BY');
      }
    } finally {
      db.close();
    }
  });
});
