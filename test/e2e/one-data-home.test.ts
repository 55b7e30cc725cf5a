/**
 * Several processes on one data folder without Redis: one `serve` and the `tollgate mcp` that
 * each MCP host starts count one budget once (budget counters in the folder's policy state
 * file); a second `serve` refuses to start, saying why and how to share; `keys` and `spend` work
 * beside the running server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, cliCommand, repoRoot, runCli, waitForUrl, type CliProcess } from '../support/cli.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/** $1 per million tokens in and out, and every answer reports 10 in + 20 out: 30,000 nanos. */
const COST_NANOS = 30_000;
/** Room for exactly ten answers. */
const BUDGET_USD = (10 * COST_NANOS) / 1e9;
/** The most one request is held at: its prompt at a token a byte with framing, plus max_tokens 20 (well under this). */
const MAX_REQUEST_NANOS = 200_000;
const CALLS_PER_PROCESS = 15;

let upstream: StartedUpstream;
let work: string;
let dataDir: string;
let configFile: string;
let server: CliProcess;
let url: string;

beforeAll(async () => {
  upstream = await startUpstream();
  upstream.script('m', { kind: 'usage', usage: { inputTokens: 10, outputTokens: 20 } });
  work = mkdtempSync(join(tmpdir(), 'tollgate-one-home-'));
  dataDir = join(work, 'data');
  configFile = join(work, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      logLevel: 'warn',
      providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { m: { pricing: { input: 1, output: 1 } } } } },
    }),
  );
  server = runCli(['serve', '--port', '0', '--config', configFile, '--data-dir', dataDir], {});
  url = await waitForUrl(server);
});
afterAll(async () => {
  await server?.stop();
  await upstream?.close();
  rmSync(work, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = runCli([...args, '--config', configFile, '--data-dir', dataDir], {});
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('one data folder, several processes, no Redis', () => {
  it('refuses a second serve with code 2, naming the running one and how to share', async () => {
    const second = await cli('serve', '--port', '0');
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`tollgate: another tollgate serve (pid ${server.child.pid}, ${url}) already uses the data folder ${dataDir}.`);
    expect(second.stderr).toContain('`tollgate mcp`, `keys` and `spend` work beside it');
    expect(second.stderr).toContain('--data-dir');
    expect(second.stderr).toContain('TOLLGATE_REDIS_URL');
    expect(second.stderr).not.toMatch(/\n\s+at /);
    // The running server is untouched.
    expect((await request(`${url}/health`)).statusCode).toBe(200);
  });

  it('one serve and two tollgate mcp count one key budget once: spend stays within the budget plus one request', async () => {
    const created = await cli('keys', 'create', '--name', 'shared', '--budget', String(BUDGET_USD), '--period', 'total', '--json');
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: string };

    const clients: Client[] = [];
    try {
      for (let index = 0; index < 2; index++) {
        const { command, args } = cliCommand(['mcp', '--config', configFile, '--data-dir', dataDir]);
        const transport = new StdioClientTransport({ command, args, cwd: repoRoot, env: cleanEnv({ TOLLGATE_API_KEY: key }) as Record<string, string>, stderr: 'pipe' });
        const client = new Client({ name: `one-home-${index}`, version: '1.0.0' });
        await client.connect(transport);
        clients.push(client);
      }
      const agent = new Agent({ connections: CALLS_PER_PROCESS });
      const overHttp = Array.from({ length: CALLS_PER_PROCESS }, async (_, n) => {
        const response = await request(`${url}/v1/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ model: 'up/m', max_tokens: 20, messages: [{ role: 'user', content: `http ${n}` }] }),
        });
        await response.body.text();
        return response.statusCode === 200 ? 'served' : response.statusCode === 402 ? 'refused' : `status ${response.statusCode}`;
      });
      const overMcp = clients.flatMap((client, index) =>
        Array.from({ length: CALLS_PER_PROCESS }, async (_, n) => {
          const result = await client.callTool({ name: 'chat', arguments: { model: 'up/m', prompt: `mcp ${index} ${n}`, max_tokens: 20 } });
          if (!result.isError) return 'served';
          const text = (result.content as Array<{ text: string }>)[0]!.text;
          return /budget/.test(text) ? 'refused' : `error ${text}`;
        }),
      );
      const outcomes = await Promise.all([...overHttp, ...overMcp]);
      await agent.close();
      expect(outcomes.filter((outcome) => outcome !== 'served' && outcome !== 'refused')).toEqual([]);
      const served = outcomes.filter((outcome) => outcome === 'served').length;
      // Every process alone would have let ten in: thirty in all.
      expect(served).toBeGreaterThanOrEqual(1);
      expect(served).toBeLessThanOrEqual(11);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }

    // `spend` beside the running server reads every process's rows.
    const spend = await cli('spend', '--key', 'shared', '--json');
    expect(spend.code, spend.stderr).toBe(0);
    const { total } = JSON.parse(spend.stdout) as { total: { total_cost: number; request_count: number } };
    expect(total.request_count).toBeGreaterThanOrEqual(1);
    expect(Math.round(total.total_cost * 1e9)).toBeLessThanOrEqual(BUDGET_USD * 1e9 + MAX_REQUEST_NANOS);
    expect(Math.round(total.total_cost * 1e9)).toBe(total.request_count * COST_NANOS);
  }, 120_000);

  it('keys list and revoke work beside the running server', async () => {
    const listed = await cli('keys', 'list');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('shared');
    const revoked = await cli('keys', 'revoke', 'shared');
    expect(revoked.code, revoked.stderr).toBe(0);
  });
});
