/**
 * Reports and spend read hourly rollups; they must answer exactly as the request rows do. A
 * generated ledger (nulls, empty strings, repeated and reordered tags, unknown prices, rows in
 * the middle of hours) is summed here from the rows themselves, and every grouping, filter and
 * scope of the report, and every spend filter, must agree with it to the nanodollar.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../src/core/utc-date.js';
import type { ReportQuery, ReportRow, ReportScope } from '../../../src/core/types.js';
import type { RequestRow, SpendFilter, Store } from '../../../src/store/types.js';
import type { StoreBackend, StoreUnderTest } from './backend.js';
import { requestRow } from './rows.js';

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generatedLedger(count: number, seed = 7): RequestRow[] {
  const next = random(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const keys = [[null, null], ['k1', 'ci'], ['k2', 'web'], ['k3', 'ci'], ['k4', null]] as const;
  const served = [['openai/gpt-4o', 'openai'], ['anthropic/claude-sonnet-4-5', 'anthropic'], ['mock/echo', 'mock'], [null, null]] as const;
  const tagSets = [[], ['a'], ['b'], ['a', 'b'], ['b', 'a'], ['c', 'a'], ['a', 'a'], ['']];
  const start = Date.parse('2026-10-30T00:00:00.000Z');
  return Array.from({ length: count }, (_, index) => {
    const [keyId, keyName] = pick(keys);
    const [servedModel, provider] = pick(served);
    const failed = servedModel === null;
    const cost = failed || next() < 0.15 ? null : Math.floor(next() * 2_000_000_000);
    return requestRow({
      id: `g${index}`,
      ts: new Date(start + Math.floor(next() * 4 * 86_400_000)).toISOString(),
      keyId,
      keyName,
      user: pick([null, 'alice', 'bob', '']),
      tags: [...pick(tagSets)],
      requestedModel: pick(['openai/gpt-4o', 'openai/o1']),
      servedModel,
      provider,
      status: failed ? 'error' : 'ok',
      errorKind: failed ? 'upstream_timeout' : null,
      usage: { input: Math.floor(next() * 5000), cacheRead: Math.floor(next() * 100), cacheWrite: Math.floor(next() * 50), output: Math.floor(next() * 900), reasoning: Math.floor(next() * 30) },
      costNanos: cost,
    });
  });
}

/** The report as summed from the rows, one by one: what the ledger says, whatever the store keeps. */
export function reportFromRows(rows: RequestRow[], query: ReportQuery, scope: ReportScope): ReportRow[] {
  const tags = [...new Set(query.tags ?? [])];
  const matches = (r: RequestRow) =>
    (scope.kind !== 'key' || r.keyId === scope.keyId) &&
    (scope.kind !== 'user' || r.user === scope.user) &&
    (!query.startDate || r.ts >= query.startDate) &&
    (!query.endDate || r.ts < addDays(query.endDate, 1)) &&
    (query.userId === undefined || r.user === query.userId) &&
    (query.model === undefined || (r.servedModel ?? r.requestedModel) === query.model) &&
    (query.provider === undefined || r.provider === query.provider) &&
    (query.apiKeyName === undefined || r.keyName === query.apiKeyName) &&
    (!tags.length || (query.tagsMatch === 'all' ? tags.every((t) => r.tags.includes(t)) : tags.some((t) => r.tags.includes(t))));
  const field =
    query.groupBy === 'day' ? (query.datePart === 'hour' ? 'hour' : 'day') : query.groupBy === undefined ? undefined : query.groupBy;
  const groupsOf = (r: RequestRow): Array<string | null> => {
    switch (field) {
      case undefined:
        return [null];
      case 'day':
        return [r.ts.slice(0, 10)];
      case 'hour':
        return [r.ts.slice(0, 13)];
      case 'user':
        return [r.user];
      case 'model':
        return [r.servedModel ?? r.requestedModel];
      case 'provider':
        return [r.provider];
      case 'api_key_name':
        return [r.keyName];
      case 'tag':
        return r.tags.length ? r.tags : [null];
    }
  };
  const sums = new Map<string | null, { nanos: number; row: Omit<ReportRow, 'total_cost' | 'market_cost'> }>();
  for (const r of rows.filter(matches)) {
    for (const group of groupsOf(r)) {
      let sum = sums.get(group);
      if (!sum) {
        sum = {
          nanos: 0,
          row: { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, cache_creation_input_tokens: 0, reasoning_tokens: 0, request_count: 0, unpriced_request_count: 0 },
        };
        sums.set(group, sum);
      }
      sum.nanos += r.costNanos ?? 0;
      sum.row.input_tokens += r.usage.input;
      sum.row.output_tokens += r.usage.output;
      sum.row.cached_input_tokens += r.usage.cacheRead;
      sum.row.cache_creation_input_tokens += r.usage.cacheWrite;
      sum.row.reasoning_tokens += r.usage.reasoning;
      sum.row.request_count += 1;
      if (r.costNanos === null && r.servedModel !== null) sum.row.unpriced_request_count += 1;
    }
  }
  if (!field && !sums.size) sums.set(null, { nanos: 0, row: { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, cache_creation_input_tokens: 0, reasoning_tokens: 0, request_count: 0, unpriced_request_count: 0 } });
  const byText = (a: string | null, b: string | null) => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);
  const entries = [...sums].sort(([ga, a], [gb, b]) =>
    field === 'day' || field === 'hour'
      ? byText(ga, gb)
      : b.nanos - a.nanos || b.row.request_count - a.row.request_count || Number(ga === null) - Number(gb === null) || byText(ga, gb),
  );
  return entries.map(([group, { nanos, row }]) => {
    const metrics = { total_cost: nanos / 1e9, market_cost: nanos / 1e9, ...row };
    return field && group !== null ? { [field]: group, ...metrics } : metrics;
  });
}

export function costFromRows(rows: RequestRow[], filter: SpendFilter): number {
  return rows
    .filter((r) => r.costNanos !== null)
    .filter((r) => (!filter.since || r.ts >= filter.since) && (!filter.keyId || r.keyId === filter.keyId) && (!filter.user || r.user === filter.user) && (!filter.tag || r.tags.includes(filter.tag)))
    .reduce((sum, r) => sum + r.costNanos!, 0);
}

const GROUPINGS: Array<Pick<ReportQuery, 'groupBy' | 'datePart'>> = [
  {},
  { groupBy: 'day' },
  { groupBy: 'day', datePart: 'hour' },
  { groupBy: 'user' },
  { groupBy: 'model' },
  { groupBy: 'provider' },
  { groupBy: 'api_key_name' },
  { groupBy: 'tag' },
];
const FILTERS: ReportQuery[] = [
  {},
  { startDate: '2026-10-31', endDate: '2026-11-01' },
  { startDate: '2026-11-02', endDate: '2026-11-02' },
  { userId: 'alice' },
  { userId: '' },
  { model: 'openai/o1' },
  { provider: 'anthropic' },
  { apiKeyName: 'ci' },
  { tags: ['a', 'c'] },
  { tags: ['a', 'b'], tagsMatch: 'all' },
  { tags: [''] },
];
const SCOPES: ReportScope[] = [{ kind: 'all' }, { kind: 'key', keyId: 'k1' }, { kind: 'key', keyId: '' }, { kind: 'user', user: 'alice' }, { kind: 'user', user: '' }];

/** Everything the report can be asked, as [query, scope]. */
export function reportQueries(): Array<[ReportQuery, ReportScope]> {
  return GROUPINGS.flatMap((grouping) => FILTERS.flatMap((filter) => SCOPES.map((scope): [ReportQuery, ReportScope] => [{ ...filter, ...grouping }, scope])));
}

export const SPEND_FILTERS: SpendFilter[] = [
  {},
  { keyId: 'k1' },
  { user: 'bob' },
  { user: '' },
  { tag: 'b' },
  { since: '2026-11-01T00:00:00.000Z' },
  { since: '2026-11-01T10:17:23.456Z' },
  { since: '2026-11-02T23:59:59.999Z', keyId: 'k2' },
  { since: '2026-10-31T05:00:00.001Z', user: 'alice', tag: 'a' },
  // From mid-day over several days: part of an hour from rows, the rest of that day by the hour, then whole days.
  { since: '2026-10-30T13:42:10.500Z', keyId: 'k1' },
  { since: '2026-10-30T06:00:00.000Z', tag: 'a' },
  { since: '2026-10-31T23:15:00.000Z' },
];

/** Without refusals, every row reads `refused_count: 0` where refusals can be counted: not what this compares. */
export const withoutRefused = (rows: ReportRow[]) => rows.map(({ refused_count: _, ...row }) => row);

export function rollupReadsContract(backend: StoreBackend): void {
  describe(`reports and spend from rollups agree with the rows (${backend.name})`, () => {
    const ledger = generatedLedger(600);
    let opened: StoreUnderTest;
    let store: Store;
    beforeAll(async () => {
      opened = await backend.open();
      store = opened.store;
      // In several batches, so that rollups are added to as well as created.
      for (const [index, request] of ledger.entries()) {
        store.ledger.record(request, []);
        if (index % 150 === 149) await store.spend.costSince({});
      }
    });
    afterAll(() => opened.dispose());

    it('every grouping, filter and scope of the report', async () => {
      for (const [query, scope] of reportQueries()) {
        expect(withoutRefused(await store.reports.report(query, scope)), JSON.stringify([query, scope])).toEqual(reportFromRows(ledger, query, scope));
      }
    });

    it('the spend budgets start from, since any time, by key, user and tag', async () => {
      for (const filter of SPEND_FILTERS) expect(await store.spend.costSince(filter), JSON.stringify(filter)).toBe(costFromRows(ledger, filter));
    });
  });
}
