/**
 * The request log on a real SQLite file, read through the Ledger interface: newest first with a
 * cursor (ties on time included), filters, scopes, and one request with its attempts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AttemptRow, RequestListQuery, RequestRow, Store } from '../../src/store/types.js';

let dir: string;
let store: Store;

function row(id: string, ts: string, fields: Partial<RequestRow> = {}): RequestRow {
  return {
    id,
    ts,
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
    latencyMs: 12.5,
    ttftMs: null,
    usage: { input: 10, cacheRead: 2, cacheWrite: 1, output: 20, reasoning: 3 },
    costNanos: 100,
    ...fields,
  };
}

function attempt(requestId: string, seq: number, fields: Partial<AttemptRow> = {}): AttemptRow {
  return {
    requestId,
    seq,
    ts: '2026-11-01T10:00:00.000Z',
    model: 'mock/echo',
    provider: 'mock',
    status: 'ok',
    errorKind: null,
    errorMessage: null,
    upstreamStatus: null,
    latencyMs: 4,
    ttftMs: 2,
    usage: { input: 10, cacheRead: 2, cacheWrite: 1, output: 20, reasoning: 3 },
    costNanos: 100,
    ...fields,
  };
}

const rows: Array<[RequestRow, AttemptRow[]]> = [
  [row('a1', '2026-11-01T09:00:00.000Z', { keyId: 'k1', keyName: 'ci', user: 'alice' }), [attempt('a1', 1)]],
  // Three rows at the same instant: the id breaks the tie, so paging neither skips nor repeats.
  [row('b1', '2026-11-01T10:00:00.000Z', { keyId: 'k2', keyName: 'web' }), []],
  [row('b2', '2026-11-01T10:00:00.000Z', { keyId: 'k1', keyName: 'ci', servedModel: 'openai/gpt-4o', provider: 'openai' }), []],
  [row('b3', '2026-11-01T10:00:00.000Z', { user: 'bob' }), []],
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

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-requests-'));
  store = openSqliteStore(dir);
  for (const [request, attempts] of rows) store.ledger.record(request, attempts);
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const all = { kind: 'all' } as const;
const ids = async (query: Partial<RequestListQuery>, scope: Parameters<Store['ledger']['listRequests']>[1] = all) =>
  (await store.ledger.listRequests({ limit: 50, ...query }, scope)).requests.map((request) => request.id);

describe('ledger.listRequests', () => {
  it('lists newest first, and the same instant by id, newest id first', async () => {
    expect(await ids({})).toEqual(['e1', 'd1', 'c1', 'b3', 'b2', 'b1', 'a1']);
  });

  it('pages with `before` through ties on time, each row once, and says when more are left', async () => {
    const seen: string[] = [];
    let before: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await store.ledger.listRequests({ limit: 2, ...(before ? { before } : {}) }, all);
      seen.push(...result.requests.map((request) => request.id));
      if (!result.hasMore) break;
      before = result.requests.at(-1)!.id;
    }
    expect(seen).toEqual(['e1', 'd1', 'c1', 'b3', 'b2', 'b1', 'a1']);
    expect((await store.ledger.listRequests({ limit: 7 }, all)).hasMore).toBe(false);
    expect((await store.ledger.listRequests({ limit: 6 }, all)).hasMore).toBe(true);
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
    const [request] = (await store.ledger.listRequests({ limit: 1, before: 'b1' }, all)).requests;
    expect(request).toEqual(rows[0]![0]);
  });

  it('shows a key only its own requests and a user only theirs', async () => {
    expect(await ids({}, { kind: 'key', keyId: 'k1' })).toEqual(['c1', 'b2', 'a1']);
    expect(await ids({}, { kind: 'user', user: 'bob' })).toEqual(['b3']);
    expect(await ids({}, { kind: 'key', keyId: '' })).toEqual([]);
  });

  it('refuses a cursor the caller cannot see, as it refuses one that does not exist', async () => {
    for (const attemptList of [
      () => store.ledger.listRequests({ limit: 5, before: 'no-such-id' }, all),
      // b1 is k2's: k1 cannot page from it, nor learn that it exists.
      () => store.ledger.listRequests({ limit: 5, before: 'b1' }, { kind: 'key', keyId: 'k1' }),
    ]) {
      const error = await attemptList().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toMatchObject({ kind: 'invalid_request', details: { param: 'before' } });
    }
    expect(await ids({ before: 'b2' }, { kind: 'key', keyId: 'k1' })).toEqual(['a1']);
  });
});

describe('ledger.getRequest', () => {
  it('returns the request with its attempts in order, failed ones without usage', async () => {
    const found = await store.ledger.getRequest('c1', all);
    expect(found?.request).toEqual(rows[4]![0]);
    expect(found?.attempts.map((a) => [a.seq, a.model, a.status, a.errorKind, a.upstreamStatus, a.usage, a.costNanos])).toEqual([
      [1, 'openai/gpt-4o', 'error', 'upstream_overloaded', 503, null, null],
      [2, 'openai/gpt-4o', 'error', 'upstream_overloaded', 503, null, null],
      [3, 'anthropic/claude-sonnet-4-5', 'ok', null, null, { input: 10, cacheRead: 2, cacheWrite: 1, output: 20, reasoning: 3 }, 900],
    ]);
    expect(found?.attempts[0]!.errorMessage).toBe('overloaded');
  });

  it('finds nothing outside the caller’s scope, or for an unknown id', async () => {
    expect(await store.ledger.getRequest('c1', { kind: 'key', keyId: 'k1' })).toBeDefined();
    expect(await store.ledger.getRequest('c1', { kind: 'key', keyId: 'k2' })).toBeUndefined();
    expect(await store.ledger.getRequest('b3', { kind: 'user', user: 'bob' })).toBeDefined();
    expect(await store.ledger.getRequest('b3', { kind: 'user', user: 'alice' })).toBeUndefined();
    expect(await store.ledger.getRequest('nope', all)).toBeUndefined();
  });

  it('sees rows recorded a moment ago, before their batch was committed', async () => {
    store.ledger.record(row('fresh', '2026-11-02T00:00:00.000Z'), []);
    expect((await store.ledger.getRequest('fresh', all))?.request.id).toBe('fresh');
    expect((await ids({ limit: 1 }))[0]).toBe('fresh');
  });
});
