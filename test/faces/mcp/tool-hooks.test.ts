/**
 * Every MCP tool call is told to the lifecycle hooks (started, then ended with the tool name,
 * the caller's key, the outcome and the latency), through the one wrapper every tool is
 * registered with; a subscriber that throws fails neither the call nor its ledger row.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolEnded, ToolStarted } from '../../../src/core/hooks.js';
import { eventually, startGateway, type TestGateway } from '../../support/gateway.js';

let gateway: TestGateway;
let client: Client;
const heard: Array<['started', ToolStarted] | ['ended', ToolEnded]> = [];

beforeAll(async () => {
  gateway = await startGateway({});
  const hooks = gateway.server.app.hooks;
  hooks.subscribe({
    toolStarted: () => {
      throw new Error('a broken subscriber');
    },
    toolEnded: () => {
      throw new Error('a broken subscriber');
    },
  });
  hooks.subscribe({ toolStarted: (event) => void heard.push(['started', event]), toolEnded: (event) => void heard.push(['ended', event]) });
  client = new Client({ name: 'tool-hooks-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url)));
});

afterAll(async () => {
  await client?.close();
  await gateway?.close();
});

describe('MCP tool calls and the hooks', () => {
  it('a call is started then ended, with the tool name, outcome and latency, whatever the tool', async () => {
    heard.length = 0;
    const rowsBefore = (await gateway.ledger.requests()).length;
    const result = await client.callTool({ name: 'chat', arguments: { model: 'mock/echo', prompt: 'told to the hooks' } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ text: 'Echo: told to the hooks' });
    const listed = await client.callTool({ name: 'list_models', arguments: {} });
    expect(listed.isError).toBeFalsy();

    expect(heard.map(([kind, event]) => `${kind} ${event.tool}`)).toEqual(['started chat', 'ended chat', 'started list_models', 'ended list_models']);
    const [started, ended] = [heard[0]![1] as ToolStarted, heard[1]![1] as ToolEnded];
    expect(started).toMatchObject({ tool: 'chat', keyId: null });
    expect(ended).toMatchObject({ callId: started.callId, tool: 'chat', isError: false });
    expect(ended.latencyMs).toBeGreaterThanOrEqual(0);
    expect(heard[2]![1].callId).not.toBe(started.callId);
    // The throwing subscriber cost the call nothing: its request is in the ledger.
    await eventually(async () => expect((await gateway.ledger.requests()).slice(rowsBefore).filter((row) => row.face === 'mcp')).toHaveLength(1));
  });

  it('a tool that answers with an error ends as an error', async () => {
    heard.length = 0;
    const result = await client.callTool({ name: 'chat', arguments: { model: 'nowhere/no-such-model', prompt: 'hi' } });
    expect(result.isError).toBe(true);
    expect(heard.map(([kind, event]) => [kind, event.tool])).toEqual([
      ['started', 'chat'],
      ['ended', 'chat'],
    ]);
    expect(heard[1]![1]).toMatchObject({ isError: true });
  });
});
