import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../support/store.js';
import { cleanEnv, cliCommand, repoRoot, runCli } from '../support/cli.js';
import { eventually, ledgerView, startGateway } from '../support/gateway.js';

/**
 * Governance through MCP: `tollgate mcp` acts as the key in TOLLGATE_API_KEY (one agent, one
 * key, one budget), and every tool result carries the caller's remaining budget.
 */
let dataDir: string;
let key: string;
let configFile: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-mcp-gov-'));
  const store = await openStore(dataDir);
  // With mockPricing, mock/echo costs $1/M in and $2/M out: a budget of $0.0002 holds a handful of small calls.
  configFile = join(dataDir, 'priced-mock.json');
  writeFileSync(configFile, JSON.stringify({ mockPricing: true }));
  key = (await store.keys.create({ name: 'agent-1', user: 'robot', budgetUsd: 0.0002, budgetPeriod: 'day' })).key;
  await store.close();
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function stdioClient(env: Record<string, string>) {
  const { command, args } = cliCommand(['mcp', '--config', configFile]);
  const transport = new StdioClientTransport({ command, args, cwd: repoRoot, env: cleanEnv({ TOLLGATE_DATA_DIR: dataDir, ...env }) as Record<string, string>, stderr: 'pipe' });
  return { transport, client: new Client({ name: 'governance-test', version: '1.0.0' }) };
}

describe('tollgate mcp (stdio) with a virtual key', () => {
  it('acts as the key: attribution, budget in every result, and a budget refusal an agent can act on', async () => {
    const { client, transport } = stdioClient({ TOLLGATE_API_KEY: key });
    await client.connect(transport);
    try {
      const first = await client.callTool({ name: 'chat', arguments: { prompt: 'hello budget', max_tokens: 16 } });
      expect(first.isError).toBeFalsy();
      const budget = (first._meta as Record<string, Array<Record<string, unknown>>>)['tollgate/budget']!;
      expect(budget[0]).toMatchObject({ scope: 'key', scope_id: 'agent-1', period: 'day', limit_usd: 0.0002 });
      expect(budget[0]!.remaining_usd as number).toBeLessThan(0.0002);
      const texts = (first.content as Array<{ type: string; text: string }>).map((block) => block.text);
      expect(texts.at(-1)).toMatch(/^Budget \(key agent-1\): \$0\.000\d+ left of \$0\.0002 per day, resets /);

      // A read-only tool reports the budget too.
      const models = await client.callTool({ name: 'list_models', arguments: {} });
      expect((models._meta as Record<string, unknown>)['tollgate/budget']).toBeDefined();

      let refusal: Awaited<ReturnType<typeof client.callTool>> | undefined;
      for (let call = 0; call < 30 && !refusal; call++) {
        const result = await client.callTool({ name: 'chat', arguments: { prompt: 'spend a little more of it', max_tokens: 16 } });
        if (result.isError) refusal = result;
      }
      expect(refusal).toBeDefined();
      const message = (refusal!.content as Array<{ text: string }>)[0]!.text;
      // The last calls fit no longer: the message names their worst case and what is left.
      expect(message).toMatch(/budget too small for this request \(key "agent-1"\): its worst case \(\$[\d.]+, from the prompt and max_tokens, or the model's output cap without it\) is more than what is left \(\$[\d.]+ of \$0\.0002 per day, resets \d{4}-\d{2}-\d{2}T00:00:00\.000Z\)/);
    } finally {
      await client.close();
    }
    const store = await openStore(dataDir);
    const rows = (await ledgerView(store.reports).requests()).filter((row) => row.face === 'mcp');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.keyName === 'agent-1' && row.user === 'robot' && row.status === 'ok')).toBe(true);
    // The refusal is counted for the key and its user, not given a row.
    const [total] = (await store.reports.report({}, { kind: 'key', keyId: (await store.keys.get('agent-1'))!.id }));
    await store.close();
    expect(total).toMatchObject({ request_count: rows.length, refused_count: 1 });
  });

  it('refuses to start without a key once keys exist, and with an unknown key, saying where the key goes', async () => {
    const missing = runCli(['mcp'], { TOLLGATE_DATA_DIR: dataDir });
    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toContain('tollgate mcp reads it from TOLLGATE_API_KEY, which is not set: put "TOLLGATE_API_KEY": "tg_…" in the "env" of this server');
    expect(missing.stderr()).not.toMatch(/Authorization|\n\s+at /);
    expect(missing.stdout()).toBe('');
    const wrong = runCli(['mcp'], { TOLLGATE_DATA_DIR: dataDir, TOLLGATE_API_KEY: 'tg_not-a-real-key-000000000000000000000000' });
    expect(await wrong.exited).toBe(2);
    expect(wrong.stderr()).toContain('tollgate: the key in TOLLGATE_API_KEY is unknown to this data folder, revoked or expired');
    expect(wrong.stderr()).not.toMatch(/tg_not-a-real-key|Authorization/);
  });
});

describe('a running tollgate mcp (stdio) sees changes to its key from the next call on', () => {
  const text = (result: Awaited<ReturnType<Client['callTool']>>) => (result.content as Array<{ text: string }>)[0]!.text;

  it('a key revoked with `tollgate keys revoke` while the client is connected: the next tool call is an isError result saying so, and nothing runs', async () => {
    const store = await openStore(dataDir);
    const revokedKey = (await store.keys.create({ name: 'agent-to-revoke' })).key;
    await store.close();
    const { client, transport } = stdioClient({ TOLLGATE_API_KEY: revokedKey });
    await client.connect(transport);
    try {
      const before = await client.callTool({ name: 'chat', arguments: { prompt: 'still allowed' } });
      expect(before.isError).toBeFalsy();

      const revoke = runCli(['keys', 'revoke', 'agent-to-revoke', '--data-dir', dataDir], {});
      expect(await revoke.exited).toBe(0);

      const after = await client.callTool({ name: 'chat', arguments: { prompt: 'no longer allowed' } });
      expect(after.isError).toBe(true);
      expect(text(after)).toMatch(/the key "agent-to-revoke" this MCP server acts as was revoked at \d{4}-/);
      expect(after._meta).toMatchObject({ 'tollgate/error': { kind: 'unauthorized' } });
      // Requests other than tool calls are refused too, as JSON-RPC errors.
      await expect(client.readResource({ uri: 'tollgate://models' })).rejects.toThrow(/revoked/);
    } finally {
      await client.close();
    }
    const reader = await openStore(dataDir);
    const rows = (await ledgerView(reader.reports).requests()).filter((row) => row.keyName === 'agent-to-revoke');
    await reader.close();
    expect(rows.map((row) => row.status)).toEqual(['ok']);
  });

  it('a budget lowered, then a model list narrowed, while the client is connected: the next tool call is refused by the new limit', async () => {
    const store = await openStore(dataDir);
    const changingKey = (await store.keys.create({ name: 'agent-to-limit', budgetUsd: 1, budgetPeriod: 'day' })).key;
    const { client, transport } = stdioClient({ TOLLGATE_API_KEY: changingKey });
    await client.connect(transport);
    try {
      expect((await client.callTool({ name: 'chat', arguments: { prompt: 'within budget' } })).isError).toBeFalsy();

      (await store.keys.update('agent-to-limit', { budgetUsd: 0.00001 }));
      // The server trusts a key lookup for a quarter of a second: the change is in force after that.
      await eventually(async () => {
        const refused = await client.callTool({ name: 'chat', arguments: { prompt: 'over the new budget' } });
        expect(refused.isError).toBe(true);
        // Spent already past the new limit, or not by enough left for this call: either says so.
        expect(text(refused)).toMatch(/budget exhausted for key "agent-to-limit": \$[\d.]+ spent of \$0\.00001 \(per day|budget too small for this request \(key "agent-to-limit"\).*of \$0\.00001 per day/);
      });

      (await store.keys.update('agent-to-limit', { budgetUsd: null, models: ['mock/embed'] }));
      await eventually(async () => {
        const forbidden = await client.callTool({ name: 'chat', arguments: { prompt: 'a model no longer allowed' } });
        expect(forbidden.isError).toBe(true);
        expect(text(forbidden)).toMatch(/this key may not use mock\/echo; it may use mock\/embed/);
      });
      expect((await client.callTool({ name: 'embed', arguments: { texts: ['allowed'] } })).isError).toBeFalsy();
    } finally {
      await client.close();
      await store.close();
    }
  });
});

describe('/mcp over HTTP with a key', () => {
  it('reports the key budget in tool results', async () => {
    const gateway = await startGateway({ mockPricing: true });
    try {
      const created = await gateway.server.app.store.keys.create({ name: 'http-agent', budgetUsd: 1, budgetPeriod: 'month' });
      const transport = new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), {
        requestInit: { headers: { authorization: `Bearer ${created.key}` } },
      });
      const client = new Client({ name: 'http-governance', version: '1.0.0' });
      await client.connect(transport);
      try {
        const result = await client.callTool({ name: 'embed', arguments: { texts: ['a', 'b'] } });
        const budget = (result._meta as Record<string, Array<Record<string, unknown>>>)['tollgate/budget']!;
        expect(budget[0]).toMatchObject({ scope: 'key', scope_id: 'http-agent', limit_usd: 1, period: 'month' });
      } finally {
        await client.close();
      }
    } finally {
      await gateway.close();
    }
  });
});
