/** `tollgate mcp`: the real CLI spawned as an MCP stdio server. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordProgress, wantProgress } from '../../support/mcp-progress.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const cliArgs = ['--import', 'tsx', 'src/cli.ts', 'mcp'];
let dataDir: string;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-mcp-stdio-'));
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

/** The environment of the child: no provider keys from the machine running the tests. */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/_API_KEY$|_BASE_URL$|^TOLLGATE_/.test(name)) env[name] = value;
  }
  return { ...env, TOLLGATE_DATA_DIR: dataDir };
}

describe('tollgate mcp over stdio', () => {
  it('serves the tools to the SDK client', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: cliArgs,
      cwd: repoRoot,
      env: childEnv(),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()).toMatchObject({ name: 'tollgate' });
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('chat');

      const progress = recordProgress(transport);
      const result = await client.callTool({ name: 'chat', arguments: { prompt: 'over stdio' } }, undefined, wantProgress);
      expect(result.structuredContent).toMatchObject({ text: 'Echo: over stdio', model: 'mock/echo' });
      expect(progress.length).toBeGreaterThan(0);

      const { contents } = await client.readResource({ uri: 'tollgate://llms.txt' });
      expect((contents[0] as { text: string }).text.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('writes nothing but JSON-RPC to stdout and exits when stdin closes', async () => {
    const child = spawn(process.execPath, cliArgs, { cwd: repoRoot, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.stderr.resume();
    const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));

    const lines = () => stdout.split('\n').filter((line) => line.trim() !== '');
    const responded = async (id: number) => {
      const deadline = Date.now() + 20_000;
      while (!lines().some((line) => line.includes(`"id":${id}`))) {
        if (Date.now() > deadline) throw new Error(`no response ${id}; stdout so far: ${stdout}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const write = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);

    write({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    await responded(1);
    write({ jsonrpc: '2.0', method: 'notifications/initialized' });
    write({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'chat', arguments: { prompt: 'raw' }, _meta: { progressToken: 'p1' } },
    });
    await responded(2);
    // A failing call too: whatever the gateway logs about it must go to stderr.
    write({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'chat', arguments: { model: 'nowhere/x', prompt: 'raw' } } });
    await responded(3);
    child.stdin.end();

    const code = await exited;
    expect(code).toBe(0);
    const messages = lines().map((line) => JSON.parse(line) as { jsonrpc: string; id?: number; method?: string });
    for (const message of messages) expect(message.jsonrpc).toBe('2.0');
    expect(messages.filter((m) => m.id !== undefined).map((m) => m.id)).toEqual([1, 2, 3]);
    expect(messages.some((m) => m.method === 'notifications/progress')).toBe(true);
  });
});
