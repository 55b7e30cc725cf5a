/**
 * The ledger's spend report on a real SQLite file, with rows written at chosen times: date
 * bounds, hour buckets, tag matching, scopes and exact cost sums.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportRow } from '../../src/core/types.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { RequestRow, Store } from '../../src/store/types.js';

let dir: string;
let store: Store;
let seq = 0;

function row(fields: Partial<RequestRow> & { ts: string }): RequestRow {
  return {
    id: `r${++seq}`,
    face: 'openai',
    operation: 'chat',
    stream: false,
    keyId: null,
    keyName: null,
    user: null,
    tags: [],
    requestedModel: 'mock/echo',
    servedModel: 'mock/echo',
    provider: 'mock',
    status: 'ok',
    errorKind: null,
    attempts: 1,
    latencyMs: 5,
    ttftMs: null,
    usage: { input: 10, cacheRead: 2, cacheWrite: 1, output: 20, reasoning: 3 },
    costNanos: 100,
    ...fields,
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-report-'));
  store = openSqliteStore(dir);
  const rows: RequestRow[] = [
    // 0.1 + 0.2 in floats is 0.30000000000000004; in nanos the sum is exact.
    row({ ts: '2026-11-01T00:00:00.000Z', costNanos: 100_000_000, user: 'alice', tags: ['a', 'b'], keyId: 'k1', keyName: 'ci' }),
    row({ ts: '2026-11-01T09:30:00.000Z', costNanos: 200_000_000, user: 'bob', tags: ['a'], keyId: 'k2', keyName: 'web' }),
    row({ ts: '2026-11-01T09:59:59.999Z', costNanos: 7, user: 'alice', tags: ['b'], keyId: 'k1', keyName: 'ci', servedModel: 'openai/gpt-4o-mini', provider: 'openai' }),
    row({ ts: '2026-11-02T23:59:59.999Z', costNanos: null, tags: [], servedModel: 'local/llama', provider: 'local' }),
    // A failed request: no served model or provider, no cost, but it is a request.
    row({ ts: '2026-11-03T12:00:00.000Z', costNanos: null, servedModel: null, provider: null, status: 'error', errorKind: 'upstream_timeout', requestedModel: 'openai/gpt-4o', usage: { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 } }),
    row({ ts: '2026-10-31T23:59:59.999Z', costNanos: 1_000, user: 'alice' }),
  ];
  for (const request of rows) store.ledger.record(request, []);
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const all = { kind: 'all' } as const;
const total = (rows: ReportRow[]) => rows[0]!;

describe('ledger report', () => {
  it('without group_by gives one row of totals, cost summed exactly in nanos then divided once', () => {
    const rows = store.ledger.report({ startDate: '2026-11-01', endDate: '2026-11-01' }, all);
    expect(rows).toHaveLength(1);
    expect(total(rows)).toEqual({
      total_cost: 0.300000007,
      market_cost: 0.300000007,
      input_tokens: 30,
      output_tokens: 60,
      cached_input_tokens: 6,
      cache_creation_input_tokens: 3,
      reasoning_tokens: 9,
      request_count: 3,
      unpriced_request_count: 0,
      refused_count: 0,
    });
  });

  it('includes both the start and the end date (UTC), and nothing outside them', () => {
    expect(total(store.ledger.report({ startDate: '2026-11-01', endDate: '2026-11-02' }, all)).request_count).toBe(4);
    expect(total(store.ledger.report({ startDate: '2026-11-02', endDate: '2026-11-02' }, all)).request_count).toBe(1);
    expect(total(store.ledger.report({ startDate: '2026-10-31', endDate: '2026-10-31' }, all)).request_count).toBe(1);
    expect(total(store.ledger.report({ startDate: '2026-11-04', endDate: '2026-12-31' }, all)).request_count).toBe(0);
    expect(total(store.ledger.report({}, all)).request_count).toBe(6);
  });

  it('counts a request with no known price apart, and a failed one as a request costing nothing', () => {
    const row = total(store.ledger.report({ startDate: '2026-11-02', endDate: '2026-11-03' }, all));
    expect(row).toMatchObject({ request_count: 2, unpriced_request_count: 1, total_cost: 0 });
  });

  it('groups by day, in time order, and by hour with date_part', () => {
    const days = store.ledger.report({ groupBy: 'day' }, all);
    expect(days.map((row) => [row.day, row.request_count])).toEqual([
      ['2026-10-31', 1],
      ['2026-11-01', 3],
      ['2026-11-02', 1],
      ['2026-11-03', 1],
    ]);
    const hours = store.ledger.report({ groupBy: 'day', datePart: 'hour', startDate: '2026-11-01', endDate: '2026-11-01' }, all);
    expect(hours.map((row) => [row.hour, row.request_count])).toEqual([
      ['2026-11-01T00', 1],
      ['2026-11-01T09', 2],
    ]);
    expect(hours[0]).not.toHaveProperty('day');
  });

  it('groups by model (the requested one for a failed request), provider, user and key name, most expensive first', () => {
    const models = store.ledger.report({ groupBy: 'model' }, all);
    expect(models.map((row) => row.model)).toEqual(['mock/echo', 'openai/gpt-4o-mini', 'local/llama', 'openai/gpt-4o']);

    const providers = store.ledger.report({ groupBy: 'provider' }, all);
    expect(providers.map((row) => row.provider ?? null)).toEqual(['mock', 'openai', 'local', null]);
    // No provider (a failed request): the row is there, without the grouping field.
    expect(providers[3]).not.toHaveProperty('provider');

    const users = store.ledger.report({ groupBy: 'user', startDate: '2026-11-01', endDate: '2026-11-01' }, all);
    expect(users.map((row) => [row.user, row.total_cost])).toEqual([
      ['bob', 0.2],
      ['alice', 0.100000007],
    ]);

    const keys = store.ledger.report({ groupBy: 'api_key_name' }, all);
    expect(keys.map((row) => [row.api_key_name ?? null, row.request_count])).toEqual([
      ['web', 1],
      ['ci', 2],
      [null, 3],
    ]);
  });

  it('groups by tag with one row per tag a request carries, and one for untagged requests', () => {
    const tags = store.ledger.report({ groupBy: 'tag', startDate: '2026-11-01', endDate: '2026-11-02' }, all);
    expect(tags.map((row) => [row.tag ?? null, row.request_count, row.total_cost])).toEqual([
      ['a', 2, 0.3],
      ['b', 2, 0.100000007],
      [null, 1, 0],
    ]);
  });

  it('filters by tags, matching any listed tag by default or all of them', () => {
    expect(total(store.ledger.report({ tags: ['b'] }, all)).request_count).toBe(2);
    expect(total(store.ledger.report({ tags: ['a', 'b'] }, all)).request_count).toBe(3);
    expect(total(store.ledger.report({ tags: ['a', 'b'], tagsMatch: 'all' }, all)).request_count).toBe(1);
    expect(total(store.ledger.report({ tags: ['nope'] }, all)).request_count).toBe(0);
  });

  it('filters by user, model, provider and key name', () => {
    expect(total(store.ledger.report({ userId: 'alice' }, all)).request_count).toBe(3);
    expect(total(store.ledger.report({ model: 'openai/gpt-4o-mini' }, all)).request_count).toBe(1);
    expect(total(store.ledger.report({ model: 'openai/gpt-4o' }, all)).request_count).toBe(1);
    expect(total(store.ledger.report({ provider: 'mock' }, all)).request_count).toBe(3);
    expect(total(store.ledger.report({ apiKeyName: 'ci', groupBy: 'model' }, all)).model).toBe('mock/echo');
  });

  it('limits a key scope to its key and a user scope to its user, whatever the filters ask', () => {
    const k1 = store.ledger.report({ groupBy: 'user' }, { kind: 'key', keyId: 'k1' });
    expect(k1).toEqual([expect.objectContaining({ user: 'alice', request_count: 2 })]);
    expect(total(store.ledger.report({ userId: 'bob' }, { kind: 'key', keyId: 'k1' })).request_count).toBe(0);
    expect(total(store.ledger.report({}, { kind: 'user', user: 'alice' })).request_count).toBe(3);
    expect(total(store.ledger.report({}, { kind: 'key', keyId: '' })).request_count).toBe(0);
  });
});

describe('ledger report with refusals', () => {
  let refusalsDir: string;
  let withRefusals: Store;
  beforeAll(() => {
    refusalsDir = mkdtempSync(join(tmpdir(), 'tollgate-refusals-'));
    withRefusals = openSqliteStore(refusalsDir);
    withRefusals.ledger.record(row({ ts: '2026-11-01T09:00:00.000Z', costNanos: 500, user: 'alice', keyId: 'k1', keyName: 'ci' }), []);
    const refuse = (ts: string, keyId: string | null, keyName: string | null, user: string | null, times: number) => {
      for (let index = 0; index < times; index++) withRefusals.ledger.countRefusal({ ts, keyId, keyName, user, kind: 'insufficient_budget' });
    };
    refuse('2026-11-01T09:00:10.000Z', 'k1', 'ci', 'alice', 3);
    refuse('2026-11-01T09:00:50.000Z', 'k1', 'ci', 'alice', 2);
    refuse('2026-11-01T10:30:00.000Z', 'k2', 'web', null, 4);
    refuse('2026-11-02T00:00:00.000Z', null, null, 'mallory', 1);
  });
  afterAll(() => {
    withRefusals.close();
    rmSync(refusalsDir, { recursive: true, force: true });
  });

  it('adds refused_count to each group, with a row of its own for a group that only has refusals, in the report order', () => {
    expect(total(withRefusals.ledger.report({}, all))).toMatchObject({ request_count: 1, refused_count: 10 });
    expect(withRefusals.ledger.report({ groupBy: 'day', datePart: 'hour' }, all).map((r) => [r.hour, r.request_count, r.refused_count])).toEqual([
      ['2026-11-01T09', 1, 5],
      ['2026-11-01T10', 0, 4],
      ['2026-11-02T00', 0, 1],
    ]);
    expect(withRefusals.ledger.report({ groupBy: 'user' }, all).map((r) => [r.user ?? null, r.total_cost, r.refused_count])).toEqual([
      ['alice', 0.0000005, 5],
      ['mallory', 0, 1],
      [null, 0, 4],
    ]);
    expect(withRefusals.ledger.report({ groupBy: 'api_key_name', endDate: '2026-11-01' }, all).map((r) => [r.api_key_name ?? null, r.refused_count])).toEqual([
      ['ci', 5],
      ['web', 4],
    ]);
  });

  it('keeps to the scope and the user and key filters, and leaves the field out where refusals cannot be filtered or grouped', () => {
    expect(total(withRefusals.ledger.report({}, { kind: 'key', keyId: 'k2' }))).toMatchObject({ request_count: 0, refused_count: 4 });
    expect(total(withRefusals.ledger.report({}, { kind: 'user', user: 'mallory' }))).toMatchObject({ refused_count: 1 });
    expect(total(withRefusals.ledger.report({ userId: 'alice' }, all))).toMatchObject({ refused_count: 5 });
    expect(total(withRefusals.ledger.report({ apiKeyName: 'web' }, all))).toMatchObject({ refused_count: 4 });
    expect(total(withRefusals.ledger.report({ startDate: '2026-11-02', endDate: '2026-11-02' }, all))).toMatchObject({ refused_count: 1 });
    expect(total(withRefusals.ledger.report({ model: 'mock/echo' }, all))).not.toHaveProperty('refused_count');
    expect(total(withRefusals.ledger.report({ tags: ['a'] }, all))).not.toHaveProperty('refused_count');
    for (const groupBy of ['model', 'tag', 'provider'] as const) {
      expect(withRefusals.ledger.report({ groupBy }, all).every((r) => !('refused_count' in r)), groupBy).toBe(true);
    }
  });
});
