/**
 * Abuse of `/mcp` (Streamable HTTP), with the raw protocol and with the SDK's own client:
 * unknown tools, bad and random arguments for every tool, bodies over the limit, a foreign
 * Origin or Host, garbage batches, requests without a session. Every answer is a JSON-RPC
 * error or a tool result with `isError`, never a crash, and none of it reaches the ledger.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { MCP_ACCEPT, rawExchange } from './support.js';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MAX_BODY = 64 * 1024;
const TIMEOUT_MS = 10_000;

let gateway: TestGateway;
let agent: Agent;
let client: Client;
let tools: Tool[];

beforeAll(async () => {
  gateway = await startGateway({ server: { maxBodyBytes: MAX_BODY } });
  agent = new Agent({ headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  client = new Client({ name: 'abuse', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url)));
  tools = (await client.listTools()).tools;
});
afterAll(async () => {
  await client?.close().catch(() => undefined);
  await agent?.close();
  await gateway?.close();
});

interface RpcAnswer {
  status: number;
  /** The JSON-RPC messages of the answer (from JSON or from SSE `data:` lines). */
  messages: Array<{ jsonrpc?: string; id?: unknown; result?: unknown; error?: { code: number; message: string } }>;
  sessionId: string | undefined;
}

async function rpc(body: string | Buffer, headers: Record<string, string> = {}): Promise<RpcAnswer> {
  const response = await request(`${gateway.url}/mcp`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', ...MCP_ACCEPT, ...headers },
    body,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await response.body.text();
  const type = String(response.headers['content-type'] ?? '');
  const messages = type.includes('text/event-stream')
    ? text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)))
    : text
      ? [JSON.parse(text)].flat()
      : [];
  const session = response.headers['mcp-session-id'];
  return { status: response.statusCode, messages, sessionId: typeof session === 'string' ? session : undefined };
}

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

/** A raw session: initialize, then the `initialized` notification. */
async function rawSession(): Promise<Record<string, string>> {
  const init = await rpc(JSON.stringify(initialize));
  expect(init.status).toBe(200);
  const headers = { 'mcp-session-id': init.sessionId!, 'mcp-protocol-version': '2025-06-18' };
  const ack = await rpc(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers);
  expect(ack.status).toBe(202);
  return headers;
}

function expectJsonRpcError(answer: RpcAnswer, status: number | ((status: number) => boolean)): { code: number; message: string } {
  if (typeof status === 'number') expect(answer.status, JSON.stringify(answer.messages)).toBe(status);
  else expect(status(answer.status), `${answer.status} ${JSON.stringify(answer.messages)}`).toBe(true);
  const error = answer.messages[0]?.error;
  expect(error, JSON.stringify(answer.messages)).toBeDefined();
  expect(typeof error!.code).toBe('number');
  expect(error!.message.length).toBeGreaterThan(0);
  return error!;
}

/** The tool call ends in a tool error with a message, or a JSON-RPC error: never a crash or a hang. */
async function expectToolRefusal(name: string, args: unknown): Promise<string> {
  try {
    const result = (await client.callTool({ name, arguments: args as Record<string, unknown> }, undefined, { timeout: TIMEOUT_MS })) as CallToolResult;
    expect(result.isError, `${name}(${JSON.stringify(args)}) → ${JSON.stringify(result).slice(0, 300)}`).toBe(true);
    const text = result.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n');
    expect(text.length).toBeGreaterThan(0);
    return text;
  } catch (error) {
    // The SDK raises a JSON-RPC error (invalid params, unknown tool) as McpError with its code.
    const code = (error as { code?: unknown }).code;
    expect(typeof code, `${name}: ${String(error)}`).toBe('number');
    expect(code).not.toBe(-32603); // not an internal error
    return String((error as Error).message);
  }
}

async function expectHealthy(): Promise<void> {
  const health = await request(`${gateway.url}/health`, { dispatcher: agent, signal: AbortSignal.timeout(TIMEOUT_MS) });
  expect(health.statusCode).toBe(200);
  await health.body.dump();
  // The SDK client's own session still works.
  expect((await client.callTool({ name: 'list_models', arguments: {} })).isError).toBeFalsy();
}

/** A value of the wrong type for a JSON Schema property. */
function wrongValueFor(schema: { type?: string | string[] } | undefined): unknown {
  const type = Array.isArray(schema?.type) ? schema!.type[0] : schema?.type;
  switch (type) {
    case 'string':
      return { not: 'a string' };
    case 'number':
    case 'integer':
      return 'not a number';
    case 'array':
      return 'not an array';
    case 'boolean':
      return 'yes';
    case 'object':
      return ['not', 'an', 'object'];
    default:
      return Symbol.for('skip');
  }
}

describe('MCP abuse through the SDK client', () => {
  it('an unknown tool is an error result or a JSON-RPC error, and the session lives on', async () => {
    const message = await expectToolRefusal('no_such_tool', {});
    expect(message).toMatch(/no_such_tool|not found|unknown/i);
    await expectHealthy();
  });

  it('every tool refuses arguments of the wrong type with a message, and nothing reaches the ledger', async () => {
    expect(tools.length).toBeGreaterThanOrEqual(6);
    const rowsBefore = (await gateway.ledger.requests()).length;
    let calls = 0;
    for (const tool of tools) {
      const properties = (tool.inputSchema.properties ?? {}) as Record<string, { type?: string }>;
      const required = tool.inputSchema.required ?? [];
      // Missing required arguments, when the tool has any.
      if (required.length) {
        await expectToolRefusal(tool.name, {});
        calls++;
      }
      // Each known argument with a value of the wrong type.
      for (const [name, schema] of Object.entries(properties)) {
        const wrong = wrongValueFor(schema);
        if (wrong === Symbol.for('skip')) continue;
        const text = await expectToolRefusal(tool.name, { [name]: wrong });
        expect(text.length).toBeGreaterThan(0);
        calls++;
      }
      // Arguments that are not an object at all, through the raw protocol below.
    }
    expect(calls).toBeGreaterThan(tools.length);
    expect((await gateway.ledger.requests()).length).toBe(rowsBefore);
    await expectHealthy();
  }, 60_000);

  it('random arguments for every tool never crash the server', async () => {
    for (const tool of tools) {
      const names = Object.keys((tool.inputSchema.properties ?? {}) as object);
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.oneof(fc.constantFrom(...(names.length ? names : ['x'])), fc.string({ maxLength: 8 })), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }), async (args) => {
          try {
            const result = (await client.callTool({ name: tool.name, arguments: args }, undefined, { timeout: TIMEOUT_MS })) as CallToolResult;
            if (result.isError) expect(result.content.length).toBeGreaterThan(0);
          } catch (error) {
            expect(typeof (error as { code?: unknown }).code, `${tool.name}(${JSON.stringify(args)}): ${String(error)}`).toBe('number');
            expect((error as { code: number }).code).not.toBe(-32603);
          }
        }),
        { numRuns: 15, seed: SEED, endOnFailure: true },
      );
    }
    await expectHealthy();
  }, 60_000);
});

describe('MCP abuse with the raw protocol', () => {
  it('a request without a session is a 400 JSON-RPC error; an unknown session a 404', async () => {
    const call = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'chat', arguments: { prompt: 'hi' } } });
    expect(expectJsonRpcError(await rpc(call), 400).message).toMatch(/session/i);
    expectJsonRpcError(await rpc(call, { 'mcp-session-id': 'not-a-session' }), 404);
    const get = await request(`${gateway.url}/mcp`, { dispatcher: agent, headers: MCP_ACCEPT, signal: AbortSignal.timeout(TIMEOUT_MS) });
    expect(get.statusCode).toBe(400);
    await get.body.dump();
  });

  it('a foreign Origin is a 403, and so is a Host that is not this machine', async () => {
    const init = JSON.stringify(initialize);
    expect(expectJsonRpcError(await rpc(init, { origin: 'https://evil.example.com' }), 403).message).toMatch(/Origin/);
    expect(expectJsonRpcError(await rpc(init, { origin: 'null' }), 403).message).toMatch(/Origin/);
    // undici sets Host from the URL, so the wrong Host goes over a raw socket (DNS rebinding).
    const port = Number(new URL(gateway.url).port);
    const answer = await rawExchange(
      port,
      [`POST /mcp HTTP/1.1\r\nHost: evil.example.com\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${init.length}\r\nConnection: close\r\n\r\n${init}`],
      { deadlineMs: TIMEOUT_MS },
    );
    expect(answer.status).toBe(403);
    expect(answer.text).toMatch(/"jsonrpc":"2.0".*Host/);
  });

  it('garbage JSON-RPC batches are refused with JSON-RPC errors, in a session or not', async () => {
    const garbage = ['[1, "x", null, {}]', '[]', '[[[]]]', '[{"jsonrpc":"1.0"}]', JSON.stringify(Array.from({ length: 150 }, (_, id) => ({ jsonrpc: '2.0', id, method: 'ping' }))), '{"jsonrpc":"2.0"}', 'not json', ''];
    for (const body of garbage) expectJsonRpcError(await rpc(body), (status) => status === 400);
    const session = await rawSession();
    for (const body of garbage) {
      const answer = await rpc(body, session);
      // An empty batch holds no request to answer: the SDK acknowledges it with 202.
      if (body === '[]' && answer.status === 202) continue;
      expectJsonRpcError(answer, (status) => status >= 400 && status < 500);
    }
    // A well-formed batch of unknown methods gets one JSON-RPC error per request.
    const batch = await rpc(JSON.stringify([{ jsonrpc: '2.0', id: 'a', method: 'no/such' }, { jsonrpc: '2.0', id: 'b', method: 'tools/call', params: 'x' }]), session);
    expect(batch.status).toBeLessThan(500);
    for (const message of batch.messages) expect(message.error?.code, JSON.stringify(message)).toBeTypeOf('number');
    await expectHealthy();
  });

  it('tool arguments that are not an object, and a tools/call without a name, are JSON-RPC errors', async () => {
    const session = await rawSession();
    for (const params of [{ name: 'chat', arguments: 'hello' }, { name: 'chat', arguments: [1, 2] }, { arguments: {} }, { name: 42 }, null]) {
      const answer = await rpc(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params }), session);
      expect(answer.status).toBeLessThan(500);
      const message = answer.messages[0]!;
      const refused = message.error !== undefined || (message.result as { isError?: boolean } | undefined)?.isError === true;
      expect(refused, JSON.stringify(message)).toBe(true);
    }
  });

  it('a body over the limit is a 413 JSON-RPC error, before a session and within one', async () => {
    const huge = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'chat', arguments: { prompt: 'x'.repeat(MAX_BODY + 1024) } } });
    expectJsonRpcError(await rpc(JSON.stringify({ ...initialize, params: { ...initialize.params, padding: 'x'.repeat(MAX_BODY) } })), 413);
    const rowsBefore = (await gateway.ledger.requests()).length;
    const session = await rawSession();
    expectJsonRpcError(await rpc(huge(3), session), 413);
    // Several megabytes are refused the same way, and the session survives.
    expectJsonRpcError(await rpc(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'embed', arguments: { texts: Array.from({ length: 2000 }, () => 'y'.repeat(2000)) } } }), session), 413);
    const ping = await rpc(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' }), session);
    expect(ping.status).toBe(200);
    expect((await gateway.ledger.requests()).length).toBe(rowsBefore);
    await expectHealthy();
  });

  it('invalid UTF-8 and 10k-deep nesting are parse errors, in a session too', async () => {
    const session = await rawSession();
    const bad = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"chat","arguments":{"prompt":"'), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from('"}}}')]);
    expectJsonRpcError(await rpc(bad), 400);
    expectJsonRpcError(await rpc(bad, session), 400);
    const deep = `{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"chat","arguments":{"prompt":"x","provider_options":${'['.repeat(10_000)}${']'.repeat(10_000)}}}}`;
    expectJsonRpcError(await rpc(deep), 400);
    expectJsonRpcError(await rpc(deep, session), 400);
    await expectHealthy();
  });
});
