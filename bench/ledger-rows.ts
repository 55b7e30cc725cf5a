/**
 * CPU per ledger row committed one at a time (nothing else in flight), as a lone request pays it:
 * `[LEDGER_ROOT=dir] tsx bench/ledger-rows.ts [rows]`. Rows look like the bench's chat requests.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttemptRow, RequestRow } from '../src/store/types.js';

// LEDGER_ROOT: another checkout's sources, to compare with (alternate the runs: the machine is shared).
const root = process.env.LEDGER_ROOT ?? new URL('..', import.meta.url).pathname;
const { openSqliteStore } = (await import(`${root}/src/store/sqlite/sqlite-store.ts`)) as typeof import('../src/store/sqlite/sqlite-store.js');

const rows = Number(process.argv[2] ?? 4000);
const warmup = Math.min(1000, rows / 4);
const dir = mkdtempSync(join(tmpdir(), 'tollgate-ledger-rows-'));
const store = openSqliteStore(dir);

const row = (): [RequestRow, AttemptRow[]] => {
  const id = randomUUID();
  const ts = new Date().toISOString();
  const usage = { input: 12, cacheRead: 0, cacheWrite: 0, output: 9, reasoning: 0 };
  return [
    {
      id, ts, face: 'openai', operation: 'chat', stream: false, keyId: null, keyName: null, user: null, tags: [],
      requestedModel: 'mock/echo', servedModel: 'mock/echo', provider: 'mock', status: 'ok', errorKind: null, attempts: 1,
      latencyMs: 0.4, ttftMs: null, usage, costNanos: 0,
    },
    [{ requestId: id, seq: 1, ts, model: 'mock/echo', provider: 'mock', status: 'ok', errorKind: null, errorMessage: null,
      upstreamStatus: null, latencyMs: 0.3, ttftMs: null, usage, costNanos: 0 }],
  ];
};

const commitOne = () => {
  const [request, attempts] = row();
  store.ledger.record(request, attempts);
  // Nothing else in flight: this commits now, as the lone request's answer ends.
  store.ledger.whenDurable();
};

for (let i = 0; i < warmup; i++) commitOne();
const made = Array.from({ length: rows }, row);
const start = process.cpuUsage();
const wall = performance.now();
for (const [request, attempts] of made) {
  store.ledger.record(request, attempts);
  store.ledger.whenDurable();
}
const used = process.cpuUsage(start);
const wallMs = performance.now() - wall;
await store.close();
rmSync(dir, { recursive: true, force: true });
const perRow = (used.user + used.system) / rows;
console.log(`${rows} rows one at a time: ${perRow.toFixed(1)} µs CPU/row (user ${(used.user / rows).toFixed(1)}, system ${(used.system / rows).toFixed(1)}), wall ${((wallMs * 1000) / rows).toFixed(1)} µs/row`);
