/**
 * How `tools/call` answers what it cannot run: an unknown or disabled tool, arguments that fail
 * the tool's schema or are too large to check, a result that fails the output schema, a tool
 * that throws, and a call asked to run as a task. Each is a tool error the agent can read (or,
 * for the task, a protocol error), as the SDK's own handler answers them (a thrown message
 * excepted: it is not shown).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GatewayMcpServer } from '../../../src/faces/mcp/tool-server.js';
import { startMcpTestServer, textOf, type McpTestServer } from './helpers.js';

let gateway: McpTestServer;
let client: Client;

beforeAll(async () => {
  gateway = await startMcpTestServer();
  // Typed as the SDK's server, as the tools are registered on it.
  const server: McpServer = new GatewayMcpServer(gateway.gateway, { name: 'tool-calls-test', version: '1.0.0' }, { maxToolInputElements: 5 });
  const structured = { inputSchema: z.object({ items: z.array(z.number()).optional() }), outputSchema: z.object({ total: z.number() }) };
  server.registerTool('sum', structured, async ({ items }) => {
    const total = (items ?? []).reduce((sum: number, item: number) => sum + item, 0);
    return { content: [{ type: 'text', text: String(total) }], structuredContent: { total } };
  });
  server.registerTool('wrong_output', structured, async () => ({ content: [{ type: 'text', text: 'x' }], structuredContent: { total: 'many' } }));
  server.registerTool('no_output', structured, async () => ({ content: [{ type: 'text', text: 'x' }] }));
  server.registerTool('throws', {}, async () => {
    throw new Error('secret detail from inside');
  });
  server.registerTool('off', {}, async () => ({ content: [{ type: 'text', text: 'ran' }] })).disable();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  client = new Client({ name: 'tool-calls-test', version: '1.0.0' });
  await client.connect(clientSide);
});

afterAll(async () => {
  await client?.close();
  await gateway?.close();
});

async function call(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

describe('tools/call', () => {
  it('runs a tool with checked arguments and checked structured output', async () => {
    const result = await call('sum', { items: [1, 2, 3] });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ total: 6 });
  });

  it('answers an unknown tool with a tool error naming it', async () => {
    const result = await call('nope');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('Tool nope not found');
  });

  it('answers a disabled tool with a tool error and does not run it', async () => {
    const result = await call('off');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('Tool off disabled');
  });

  it('refuses arguments that fail the schema, saying which', async () => {
    const result = await call('sum', { items: ['one'] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('Input validation error: Invalid arguments for tool sum');
    expect(textOf(result)).toContain('items');
  });

  it('refuses arguments with more elements than allowed before checking them', async () => {
    const result = await call('sum', { items: [1, 2, 3, 4, 5, 6] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('more than the maximum of 5 elements');
  });

  it('refuses a result whose structured content fails the output schema', async () => {
    const result = await call('wrong_output');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('Output validation error: Invalid structured content for tool wrong_output');
  });

  it('refuses a result without the structured content its output schema promises', async () => {
    const result = await call('no_output');
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('has an output schema but no structured content');
  });

  it('reports a tool that throws without the thrown message', async () => {
    const result = await call('throws');
    expect(result.isError).toBe(true);
    expect(textOf(result)).not.toContain('secret detail');
    expect(result._meta).toEqual({ 'tollgate/error': { kind: 'internal' } });
  });

  it('refuses to run a call as a task: the server offers no tasks', async () => {
    await expect(client.request({ method: 'tools/call', params: { name: 'sum', arguments: {}, task: { ttl: 1000 } } }, z.object({}).loose())).rejects.toThrow(
      /does not support task creation/,
    );
  });
});
