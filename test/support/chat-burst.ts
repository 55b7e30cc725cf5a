import { Agent, request } from 'undici';
import { expect } from 'vitest';
import { runCli } from './cli.js';

/** $1 per million tokens in and out, and every answer reports 10 in + 20 out: 30,000 nanos. */
export const COST_NANOS = 30_000;
export const BUDGET_USD = (10 * COST_NANOS) / 1e9;
/** The most one request is held at (its prompt at a token a byte with framing, plus max_tokens 20), with room to spare. */
export const MAX_REQUEST_NANOS = 200_000;

export interface BurstOutcome {
  status: number;
  body: string;
}

/** `count` chat requests at once with one key, each on its own connection, to `up/m`. */
export async function chatBurst(url: string, key: string, count: number): Promise<BurstOutcome[]> {
  const agent = new Agent({ connections: count });
  try {
    return await Promise.all(
      Array.from({ length: count }, async (_, n) => {
        const response = await request(`${url}/v1/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ model: 'up/m', max_tokens: 20, messages: [{ role: 'user', content: `request ${n}` }] }),
        });
        return { status: response.statusCode, body: await response.body.text() };
      }),
    );
  } finally {
    await agent.close();
  }
}

/**
 * What `tollgate spend` reports for `key` is exactly the `served` answers, within the budget plus
 * one request's hold, and nothing was refused that the budget had room for.
 */
export async function expectSpendWithinBudget(key: string, served: number, cli: { configFile: string; dataDir: string }): Promise<void> {
  const spend = runCli(['spend', '--key', key, '--json', '--config', cli.configFile, '--data-dir', cli.dataDir], {});
  expect(await spend.exited, spend.stderr()).toBe(0);
  const { total } = JSON.parse(spend.stdout()) as { total: { total_cost: number; request_count: number } };
  const spent = Math.round(total.total_cost * 1e9);
  expect(total.request_count).toBe(served);
  expect(spent).toBe(served * COST_NANOS);
  expect(spent).toBeLessThanOrEqual(BUDGET_USD * 1e9 + MAX_REQUEST_NANOS);
  expect(spent + MAX_REQUEST_NANOS).toBeGreaterThan(BUDGET_USD * 1e9);
}
