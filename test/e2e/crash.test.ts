import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { runCli, waitForUrl } from '../support/cli.js';
import { ledgerView } from '../support/gateway.js';
import { openStore } from '../support/store.js';

/**
 * kill -9 under load, then restart on the same data folder: every answer a client saw complete
 * is in the ledger, the SQLite file is intact, and no budget hold survives.
 */
let upstream: StartedUpstream;
let work: string;
/** Answers completed before the server is killed. */
const KILL_AFTER = 40;

beforeAll(async () => {
  upstream = await startUpstream({ latencyMs: 5 });
  work = mkdtempSync(join(tmpdir(), 'tollgate-crash-'));
});
afterAll(async () => {
  await upstream?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('crash safety', () => {
  it('keeps every completed request in the ledger across kill -9, with an intact file', async () => {
    const dataDir = join(work, 'data');
    const configFile = join(work, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        logLevel: 'warn',
        budgets: [{ scope: 'global', limitUsd: 1000, period: 'month' }],
        providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { m: { pricing: { input: 1, output: 1 } } } } },
      }),
    );
    const server = runCli(['serve', '--port', '0', '--config', configFile, '--data-dir', dataDir], {});
    const url = await waitForUrl(server);
    const agent = new Agent({ connections: 16 });
    const completed: string[] = [];
    let stop = false;
    // The kill comes once enough answers are in, with the other workers' requests in flight.
    let enoughServed!: () => void;
    const enough = new Promise<void>((resolve) => (enoughServed = resolve));
    const worker = async (index: number) => {
      // Bounded: at most 400 requests per worker, and they end when the server dies.
      for (let n = 0; n < 400 && !stop; n++) {
        const id = `crash-${index}-${n}`;
        try {
          const response = await request(`${url}/v1/chat/completions`, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'content-type': 'application/json', 'x-request-id': id },
            body: JSON.stringify({ model: 'up/m', max_tokens: 20, stream: n % 2 === 0, messages: [{ role: 'user', content: `request ${n}` }] }),
          });
          const body = await response.body.text();
          const whole = response.statusCode === 200 && (body.includes('data: [DONE]') || body.includes('"usage"'));
          if (whole && completed.push(id) === KILL_AFTER) enoughServed();
        } catch {
          return;
        }
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, (_, index) => worker(index)));
    await Promise.race([enough, load]);
    server.child.kill('SIGKILL');
    stop = true;
    await server.exited;
    await load;
    await agent.close();
    expect(completed.length).toBeGreaterThan(10);

    const restarted = runCli(['serve', '--port', '0', '--config', configFile, '--data-dir', dataDir], {});
    try {
      await waitForUrl(restarted);
      // The file itself survived the kill (a check of SQLite's own, not a read of ledger rows).
      const db = new Database(join(dataDir, 'tollgate.db'), { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        db.close();
      }
      const store = await openStore(dataDir);
      try {
        const ledger = ledgerView(store.reports);
        const rows = await ledger.requests();
        const ids = new Set(rows.map((row) => row.id));
        const missing = completed.filter((id) => !ids.has(id));
        expect(missing).toEqual([]);
        // Every request row has its attempts.
        const orphans = [];
        for (const row of rows) if (row.attempts > 0 && (await ledger.attempts(row.id)).length === 0) orphans.push(row.id);
        expect(orphans).toEqual([]);
      } finally {
        await store.close();
      }
      // Holds lived in memory only: after the restart nothing is reserved.
      const credits = await request(`${await waitForUrl(restarted)}/v1/credits`);
      const body = (await credits.body.json()) as { budgets: Array<{ reserved: string }> };
      expect(body.budgets.every((budget) => Number(budget.reserved) === 0)).toBe(true);
    } finally {
      await restarted.stop();
    }
  }, 60_000);
});
