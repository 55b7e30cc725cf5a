/**
 * Reads over the ledger for people, with rows written at chosen times: the spend report (date
 * bounds, hour buckets, tag matching, scopes, exact cost sums, refusals) and the request log
 * (newest first with a cursor, ties on time included, filters, scopes, one request with its attempts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import type { ReportRow } from '../../../src/core/types.js';
import type { AttemptRow, RequestListQuery, RequestRow, Store } from '../../../src/store/types.js';
import type { StoreBackend, StoreUnderTest } from './backend.js';
import { attemptRow, requestRow } from './rows.js';

const all = { kind: 'all' } as const;
const total = (rows: ReportRow[]) => rows[0]!;
let seq = 0;

/** Every token kind non-zero, so a column read into the wrong field shows. */
const USAGE = { input: 10, cacheRead: 2, cacheWrite: 1, output: 20, reasoning: 3 };

const reportRow = (fields: Partial<RequestRow> & { ts: string }): RequestRow => requestRow({ id: `r${++seq}`, usage: USAGE, ...fields });

// A fractional latency: it must read back as recorded.
const row = (id: string, ts: string, fields: Partial<RequestRow> = {}): RequestRow => requestRow({ id, ts, latencyMs: 12.5, usage: USAGE, ...fields });

const attempt = (requestId: string, seq: number, fields: Partial<AttemptRow> = {}): AttemptRow => attemptRow({ requestId, seq, usage: USAGE, ...fields });

const rows: Array<[RequestRow, AttemptRow[]]> = [
  [row('a1', '2026-11-01T09:00:00.000Z', { keyId: 'k1', keyName: 'ci', user: 'alice' }), [attempt('a1', 1)]],
  // Three rows at the same instant: the id breaks the tie, so paging neither skips nor repeats.
  [row('b1', '2026-11-01T10:00:00.000Z', { keyId: 'k2', keyName: 'web' }), []],
  [row('b2', '2026-11-01T10:00:00.000Z', { keyId: 'k1', keyName: 'ci', servedModel: 'openai/gpt-4o', provider: 'openai' }), []],
  [row('b3', '2026-11-01T10:00:00.000Z', { user: 'bob', byok: true, cacheHit: true }), []],
  [
    row('c1', '2026-11-01T11:00:00.000Z', {
      requestedModel: 'openai/gpt-4o',
      servedModel: 'anthropic/claude-sonnet-4-5',
      provider: 'anthropic',
      attempts: 3,
      keyId: 'k1',
      keyName: 'ci',
      ttftMs: 80,
    }),
    [
      attempt('c1', 1, { model: 'openai/gpt-4o', provider: 'openai', status: 'error', errorKind: 'upstream_overloaded', errorMessage: 'overloaded', upstreamStatus: 503, usage: null, costNanos: null }),
      attempt('c1', 3, { model: 'anthropic/claude-sonnet-4-5', provider: 'anthropic', costNanos: 900 }),
      attempt('c1', 2, { model: 'openai/gpt-4o', provider: 'openai', status: 'error', errorKind: 'upstream_overloaded', upstreamStatus: 503, usage: null, costNanos: null }),
    ],
  ],
  // A failed request: nothing served it, so it is found under the model it asked for.
  [row('d1', '2026-11-01T12:00:00.000Z', { requestedModel: 'openai/o1', servedModel: null, provider: null, status: 'error', errorKind: 'upstream_timeout', costNanos: null, attempts: 1 }), []],
  [row('e1', '2026-11-01T13:00:00.000Z', { status: 'cancelled', errorKind: 'client_closed', keyId: 'k2', keyName: 'web' }), []],
];


export function reportReaderContract(backend: StoreBackend): void {
  describe(`ReportReader.report (${backend.name})`, () => {
    let opened: StoreUnderTest;
    let store: Store;
    beforeAll(async () => {
      opened = await backend.open();
      store = opened.store;
    const rows: RequestRow[] = [
      // 0.1 + 0.2 in floats is 0.30000000000000004; in nanos the sum is exact.
      reportRow({ ts: '2026-11-01T00:00:00.000Z', costNanos: 100_000_000, user: 'alice', tags: ['a', 'b'], keyId: 'k1', keyName: 'ci' }),
      reportRow({ ts: '2026-11-01T09:30:00.000Z', costNanos: 200_000_000, user: 'bob', tags: ['a'], keyId: 'k2', keyName: 'web' }),
      reportRow({ ts: '2026-11-01T09:59:59.999Z', costNanos: 7, user: 'alice', tags: ['b'], keyId: 'k1', keyName: 'ci', servedModel: 'openai/gpt-4o-mini', provider: 'openai' }),
      reportRow({ ts: '2026-11-02T23:59:59.999Z', costNanos: null, tags: [], servedModel: 'local/llama', provider: 'local' }),
      // A failed request: no served model or provider, no cost, but it is a request.
      reportRow({ ts: '2026-11-03T12:00:00.000Z', costNanos: null, servedModel: null, provider: null, status: 'error', errorKind: 'upstream_timeout', requestedModel: 'openai/gpt-4o', usage: { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 } }),
      reportRow({ ts: '2026-10-31T23:59:59.999Z', costNanos: 1_000, user: 'alice' }),
    ];
      for (const request of rows) store.ledger.record(request, []);
    });
    afterAll(() => opened.dispose());

    it('without group_by gives one row of totals, cost summed exactly in nanos then divided once', async () => {
      const rows = (await store.reports.report({ startDate: '2026-11-01', endDate: '2026-11-01' }, all));
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

    it('includes both the start and the end date (UTC), and nothing outside them', async () => {
      expect(total((await store.reports.report({ startDate: '2026-11-01', endDate: '2026-11-02' }, all))).request_count).toBe(4);
      expect(total((await store.reports.report({ startDate: '2026-11-02', endDate: '2026-11-02' }, all))).request_count).toBe(1);
      expect(total((await store.reports.report({ startDate: '2026-10-31', endDate: '2026-10-31' }, all))).request_count).toBe(1);
      expect(total((await store.reports.report({ startDate: '2026-11-04', endDate: '2026-12-31' }, all))).request_count).toBe(0);
      expect(total((await store.reports.report({}, all))).request_count).toBe(6);
    });

    it('counts a request with no known price apart, and a failed one as a request costing nothing', async () => {
      const r = total((await store.reports.report({ startDate: '2026-11-02', endDate: '2026-11-03' }, all)));
      expect(r).toMatchObject({ request_count: 2, unpriced_request_count: 1, total_cost: 0 });
    });

    it('groups by day, in time order, and by hour with date_part', async () => {
      const days = (await store.reports.report({ groupBy: 'day' }, all));
      expect(days.map((r) => [r.day, r.request_count])).toEqual([
        ['2026-10-31', 1],
        ['2026-11-01', 3],
        ['2026-11-02', 1],
        ['2026-11-03', 1],
      ]);
      const hours = (await store.reports.report({ groupBy: 'day', datePart: 'hour', startDate: '2026-11-01', endDate: '2026-11-01' }, all));
      expect(hours.map((r) => [r.hour, r.request_count])).toEqual([
        ['2026-11-01T00', 1],
        ['2026-11-01T09', 2],
      ]);
      expect(hours[0]).not.toHaveProperty('day');
    });

    it('groups by model (the requested one for a failed request), provider, user and key name, most expensive first', async () => {
      const models = (await store.reports.report({ groupBy: 'model' }, all));
      expect(models.map((r) => r.model)).toEqual(['mock/echo', 'openai/gpt-4o-mini', 'local/llama', 'openai/gpt-4o']);

      const providers = (await store.reports.report({ groupBy: 'provider' }, all));
      expect(providers.map((r) => r.provider ?? null)).toEqual(['mock', 'openai', 'local', null]);
      // No provider (a failed request): the row is there, without the grouping field.
      expect(providers[3]).not.toHaveProperty('provider');

      const users = (await store.reports.report({ groupBy: 'user', startDate: '2026-11-01', endDate: '2026-11-01' }, all));
      expect(users.map((r) => [r.user, r.total_cost])).toEqual([
        ['bob', 0.2],
        ['alice', 0.100000007],
      ]);

      const keys = (await store.reports.report({ groupBy: 'api_key_name' }, all));
      expect(keys.map((r) => [r.api_key_name ?? null, r.request_count])).toEqual([
        ['web', 1],
        ['ci', 2],
        [null, 3],
      ]);
    });

    it('groups by tag with one row per tag a request carries, and one for untagged requests', async () => {
      const tags = (await store.reports.report({ groupBy: 'tag', startDate: '2026-11-01', endDate: '2026-11-02' }, all));
      expect(tags.map((r) => [r.tag ?? null, r.request_count, r.total_cost])).toEqual([
        ['a', 2, 0.3],
        ['b', 2, 0.100000007],
        [null, 1, 0],
      ]);
    });

    it('filters by tags, matching any listed tag by default or all of them', async () => {
      expect(total((await store.reports.report({ tags: ['b'] }, all))).request_count).toBe(2);
      expect(total((await store.reports.report({ tags: ['a', 'b'] }, all))).request_count).toBe(3);
      expect(total((await store.reports.report({ tags: ['a', 'b'], tagsMatch: 'all' }, all))).request_count).toBe(1);
      expect(total((await store.reports.report({ tags: ['nope'] }, all))).request_count).toBe(0);
    });

    it('filters by user, model, provider and key name', async () => {
      expect(total((await store.reports.report({ userId: 'alice' }, all))).request_count).toBe(3);
      expect(total((await store.reports.report({ model: 'openai/gpt-4o-mini' }, all))).request_count).toBe(1);
      expect(total((await store.reports.report({ model: 'openai/gpt-4o' }, all))).request_count).toBe(1);
      expect(total((await store.reports.report({ provider: 'mock' }, all))).request_count).toBe(3);
      expect(total((await store.reports.report({ apiKeyName: 'ci', groupBy: 'model' }, all))).model).toBe('mock/echo');
    });

    it('limits a key scope to its key and a user scope to its user, whatever the filters ask', async () => {
      const k1 = (await store.reports.report({ groupBy: 'user' }, { kind: 'key', keyId: 'k1' }));
      expect(k1).toEqual([expect.objectContaining({ user: 'alice', request_count: 2 })]);
      expect(total((await store.reports.report({ userId: 'bob' }, { kind: 'key', keyId: 'k1' }))).request_count).toBe(0);
      expect(total((await store.reports.report({}, { kind: 'user', user: 'alice' }))).request_count).toBe(3);
      expect(total((await store.reports.report({}, { kind: 'key', keyId: '' }))).request_count).toBe(0);
    });

  });

  describe(`ReportReader.report with refusals (${backend.name})`, () => {
    let opened: StoreUnderTest;
    let withRefusals: Store;
    beforeAll(async () => {
      opened = await backend.open();
      withRefusals = opened.store;
      withRefusals.ledger.record(reportRow({ ts: '2026-11-01T09:00:00.000Z', costNanos: 500, user: 'alice', keyId: 'k1', keyName: 'ci' }), []);
      const refuse = (ts: string, keyId: string | null, keyName: string | null, user: string | null, times: number) => {
        for (let index = 0; index < times; index++) withRefusals.ledger.countRefusal({ ts, keyId, keyName, user, kind: 'insufficient_budget' });
      };
      refuse('2026-11-01T09:00:10.000Z', 'k1', 'ci', 'alice', 3);
      refuse('2026-11-01T09:00:50.000Z', 'k1', 'ci', 'alice', 2);
      refuse('2026-11-01T10:30:00.000Z', 'k2', 'web', null, 4);
      refuse('2026-11-02T00:00:00.000Z', null, null, 'mallory', 1);
    });
    afterAll(() => opened.dispose());

    it('adds refused_count to each group, with a row of its own for a group that only has refusals, in the report order', async () => {
      expect(total((await withRefusals.reports.report({}, all)))).toMatchObject({ request_count: 1, refused_count: 10 });
      expect((await withRefusals.reports.report({ groupBy: 'day', datePart: 'hour' }, all)).map((r) => [r.hour, r.request_count, r.refused_count])).toEqual([
        ['2026-11-01T09', 1, 5],
        ['2026-11-01T10', 0, 4],
        ['2026-11-02T00', 0, 1],
      ]);
      expect((await withRefusals.reports.report({ groupBy: 'user' }, all)).map((r) => [r.user ?? null, r.total_cost, r.refused_count])).toEqual([
        ['alice', 0.0000005, 5],
        ['mallory', 0, 1],
        [null, 0, 4],
      ]);
      expect((await withRefusals.reports.report({ groupBy: 'api_key_name', endDate: '2026-11-01' }, all)).map((r) => [r.api_key_name ?? null, r.refused_count])).toEqual([
        ['ci', 5],
        ['web', 4],
      ]);
    });

    it('keeps to the scope and the user and key filters, and leaves the field out where refusals cannot be filtered or grouped', async () => {
      expect(total((await withRefusals.reports.report({}, { kind: 'key', keyId: 'k2' })))).toMatchObject({ request_count: 0, refused_count: 4 });
      expect(total((await withRefusals.reports.report({}, { kind: 'user', user: 'mallory' })))).toMatchObject({ refused_count: 1 });
      expect(total((await withRefusals.reports.report({ userId: 'alice' }, all)))).toMatchObject({ refused_count: 5 });
      expect(total((await withRefusals.reports.report({ apiKeyName: 'web' }, all)))).toMatchObject({ refused_count: 4 });
      expect(total((await withRefusals.reports.report({ startDate: '2026-11-02', endDate: '2026-11-02' }, all)))).toMatchObject({ refused_count: 1 });
      expect(total((await withRefusals.reports.report({ model: 'mock/echo' }, all)))).not.toHaveProperty('refused_count');
      expect(total((await withRefusals.reports.report({ tags: ['a'] }, all)))).not.toHaveProperty('refused_count');
      for (const groupBy of ['model', 'tag', 'provider'] as const) {
        expect((await withRefusals.reports.report({ groupBy }, all)).every((r) => !('refused_count' in r)), groupBy).toBe(true);
      }
    });

  });

  describe(`ReportReader request log (${backend.name})`, () => {
    let opened: StoreUnderTest;
    let store: Store;
    beforeAll(async () => {
      opened = await backend.open();
      store = opened.store;
      for (const [request, attempts] of rows) store.ledger.record(request, attempts);
    });
    afterAll(() => opened.dispose());
    const ids = async (query: Partial<RequestListQuery>, scope: Parameters<Store['reports']['listRequests']>[1] = all) =>
      (await store.reports.listRequests({ limit: 50, ...query }, scope)).requests.map((request) => request.id);

    it('lists newest first, and the same instant by id, newest id first', async () => {
      expect(await ids({})).toEqual(['e1', 'd1', 'c1', 'b3', 'b2', 'b1', 'a1']);
    });

    it('pages with `before` through ties on time, each row once, and says when more are left', async () => {
      const seen: string[] = [];
      let before: string | undefined;
      for (let page = 0; page < 10; page++) {
        const result = await store.reports.listRequests({ limit: 2, ...(before ? { before } : {}) }, all);
        seen.push(...result.requests.map((request) => request.id));
        if (!result.hasMore) break;
        before = result.requests.at(-1)!.id;
      }
      expect(seen).toEqual(['e1', 'd1', 'c1', 'b3', 'b2', 'b1', 'a1']);
      expect((await store.reports.listRequests({ limit: 7 }, all)).hasMore).toBe(false);
      expect((await store.reports.listRequests({ limit: 6 }, all)).hasMore).toBe(true);
    });

    it('filters by the served model, or the requested one when nothing served', async () => {
      expect(await ids({ model: 'openai/gpt-4o' })).toEqual(['b2']);
      expect(await ids({ model: 'anthropic/claude-sonnet-4-5' })).toEqual(['c1']);
      expect(await ids({ model: 'openai/o1' })).toEqual(['d1']);
    });

    it('filters by key name, status and error kind, together', async () => {
      expect(await ids({ apiKeyName: 'ci' })).toEqual(['c1', 'b2', 'a1']);
      expect(await ids({ apiKeyName: 'web' })).toEqual(['e1', 'b1']);
      expect(await ids({ status: 'error' })).toEqual(['d1']);
      expect(await ids({ status: 'cancelled' })).toEqual(['e1']);
      expect(await ids({ errorKind: 'upstream_timeout' })).toEqual(['d1']);
      expect(await ids({ apiKeyName: 'web', status: 'ok' })).toEqual(['b1']);
      expect(await ids({ apiKeyName: 'nobody' })).toEqual([]);
    });

    it('reads back every field as recorded', async () => {
      const [request] = (await store.reports.listRequests({ limit: 1, before: 'b1' }, all)).requests;
      expect(request).toEqual(rows[0]![0]);
    });

    it('reads back a request made with its own provider keys and answered from the cache as such', async () => {
      expect((await store.reports.getRequest('b3', all))?.request).toEqual(rows[3]![0]);
      expect((await store.reports.getRequest('b2', all))?.request).toMatchObject({ byok: false, cacheHit: false });
    });

    it('shows a key only its own requests and a user only theirs', async () => {
      expect(await ids({}, { kind: 'key', keyId: 'k1' })).toEqual(['c1', 'b2', 'a1']);
      expect(await ids({}, { kind: 'user', user: 'bob' })).toEqual(['b3']);
      expect(await ids({}, { kind: 'key', keyId: '' })).toEqual([]);
    });

    it('refuses a cursor the caller cannot see, as it refuses one that does not exist', async () => {
      for (const attemptList of [
        () => store.reports.listRequests({ limit: 5, before: 'no-such-id' }, all),
        // b1 is k2's: k1 cannot page from it, nor learn that it exists.
        () => store.reports.listRequests({ limit: 5, before: 'b1' }, { kind: 'key', keyId: 'k1' }),
      ]) {
        const error = await attemptList().catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(GatewayError);
        expect(error).toMatchObject({ kind: 'invalid_request', details: { param: 'before' } });
      }
      expect(await ids({ before: 'b2' }, { kind: 'key', keyId: 'k1' })).toEqual(['a1']);
    });

    it('returns the request with its attempts in order, failed ones without usage', async () => {
      const found = await store.reports.getRequest('c1', all);
      expect(found?.request).toEqual(rows[4]![0]);
      expect(found?.attempts.map((a) => [a.seq, a.model, a.status, a.errorKind, a.upstreamStatus, a.usage, a.costNanos])).toEqual([
        [1, 'openai/gpt-4o', 'error', 'upstream_overloaded', 503, null, null],
        [2, 'openai/gpt-4o', 'error', 'upstream_overloaded', 503, null, null],
        [3, 'anthropic/claude-sonnet-4-5', 'ok', null, null, { input: 10, cacheRead: 2, cacheWrite: 1, output: 20, reasoning: 3 }, 900],
      ]);
      expect(found?.attempts[0]!.errorMessage).toBe('overloaded');
    });

    it('finds nothing outside the caller’s scope, or for an unknown id', async () => {
      expect(await store.reports.getRequest('c1', { kind: 'key', keyId: 'k1' })).toBeDefined();
      expect(await store.reports.getRequest('c1', { kind: 'key', keyId: 'k2' })).toBeUndefined();
      expect(await store.reports.getRequest('b3', { kind: 'user', user: 'bob' })).toBeDefined();
      expect(await store.reports.getRequest('b3', { kind: 'user', user: 'alice' })).toBeUndefined();
      expect(await store.reports.getRequest('nope', all)).toBeUndefined();
    });

    it('sees rows recorded a moment ago, before their batch was committed', async () => {
      store.ledger.record(row('fresh', '2026-11-02T00:00:00.000Z'), []);
      expect((await store.reports.getRequest('fresh', all))?.request.id).toBe('fresh');
      expect((await ids({ limit: 1 }))[0]).toBe('fresh');
    });

  });
}
