/**
 * A key's total budget stays exact across a crash: the server is killed with SIGKILL (no drain,
 * no commit beyond what each answer waited for), started again on the same data folder, and
 * asked again under concurrency. What it serves over both runs stays within the budget plus
 * one request, every served answer is in the ledger, and only those reached the upstream.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_USD, chatBurst, expectSpendWithinBudget } from '../support/chat-burst.js';
import { runCli, waitForUrl } from '../support/cli.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

let upstream: StartedUpstream;
let work: string;

beforeAll(async () => {
  upstream = await startUpstream();
  upstream.script('m', { kind: 'usage', usage: { inputTokens: 10, outputTokens: 20 } });
  work = mkdtempSync(join(tmpdir(), 'tollgate-kill-'));
});
afterAll(async () => {
  await upstream?.close();
  rmSync(work, { recursive: true, force: true });
});

async function burst(url: string, key: string, count: number): Promise<number[]> {
  return (await chatBurst(url, key, count)).map((outcome) => outcome.status);
}

describe('a total budget across kill -9 and a restart', () => {
  it('serves within the budget plus one request over both runs, and the ledger holds every served answer', { timeout: 300_000 }, async () => {
    const dataDir = join(work, 'data');
    const configFile = join(work, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({ logLevel: 'warn', providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { m: { pricing: { input: 1, output: 1 } } } } } }),
    );
    const keys = runCli(['keys', 'create', '--name', 'crashy', '--budget', String(BUDGET_USD), '--period', 'total', '--json', '--config', configFile, '--data-dir', dataDir], {});
    expect(await keys.exited, keys.stderr()).toBe(0);
    const { key } = JSON.parse(keys.stdout()) as { key: string };

    const first = runCli(['serve', '--port', '0', '--config', configFile, '--data-dir', dataDir], {});
    let before: number[];
    try {
      const url = await waitForUrl(first, 120_000);
      // Six of the ten fit; they are answered (so committed) before the kill.
      before = [];
      for (let n = 0; n < 6; n++) before.push(...(await burst(url, key, 1)));
      first.child.kill('SIGKILL');
      await first.exited;
    } finally {
      await first.stop();
    }
    expect(before).toEqual([200, 200, 200, 200, 200, 200]);

    const second = runCli(['serve', '--port', '0', '--config', configFile, '--data-dir', dataDir], {});
    let after: number[];
    try {
      const url = await waitForUrl(second, 120_000);
      after = await burst(url, key, 100);
    } finally {
      await second.stop();
    }
    expect(after.filter((status) => status !== 200 && status !== 402)).toEqual([]);
    const served = 6 + after.filter((status) => status === 200).length;
    expect(upstream.requests.filter((recorded) => recorded.model === 'm')).toHaveLength(served);

    // Within the budget plus one request. The restart started from the ledger, not from zero, nor refused what was left.
    await expectSpendWithinBudget('crashy', served, { configFile, dataDir });
  });
});
