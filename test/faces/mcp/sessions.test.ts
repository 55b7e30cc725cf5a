/**
 * The session map is bounded. The real server mounts the handler with its defaults (1,000
 * sessions, 30 minutes idle); here the same handler is mounted over the real gateway with small
 * limits so the bounds can be seen.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMcpHttpHandler, type McpHttpHandler } from '../../../src/faces/mcp/index.js';
import { startMcpTestServer, type McpTestServer } from './helpers.js';

let tollgate: McpTestServer;
let handler: McpHttpHandler;
let http: Server;
let mcpUrl: URL;
const clients: Client[] = [];
// Idle time is measured on this clock, and the idle sweep runs when a test says so.
let now = 0;
let sweep: () => void = () => undefined;
let sweepIntervalMs = 0;
/** Time passes as it would for the server: the sweep runs at each of its intervals. */
function pass(ms: number): void {
  for (let passed = 0; passed < ms; passed += sweepIntervalMs) {
    now += sweepIntervalMs;
    sweep();
  }
}
/** GET streams the handler has set up (its handle has returned for them). */
let standingStreams = 0;

beforeAll(async () => {
  tollgate = await startMcpTestServer();
});

afterAll(async () => {
  await tollgate?.close();
});

async function mount(limits: { maxSessions?: number; sessionIdleMs?: number }): Promise<void> {
  standingStreams = 0;
  handler = createMcpHttpHandler(tollgate.gateway, {
    llmsTxt: '# test',
    version: '0.0.0',
    bus: tollgate.app.bus,
    budgetSignals: tollgate.app.budgetSignals,
    ...limits,
    clock: () => now,
    scheduleSweep: (run, intervalMs) => {
      sweep = run;
      sweepIntervalMs = intervalMs;
      return () => undefined;
    },
  });
  http = createServer((req, res) => {
    const handled = handler.handle(req, res);
    if (req.method === 'GET') void handled.then(() => (standingStreams += 1));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  mcpUrl = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
  await handler.close();
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
});

async function connect(): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'sessions-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(mcpUrl);
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

async function rawInitialize(): Promise<Response> {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
}

const until = async (condition: () => boolean, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('the session map', () => {
  it('refuses a new session with 503 when every session is in use', async () => {
    await mount({ maxSessions: 2 });
    // Connected SDK clients hold their GET stream open, so their sessions are in use.
    await connect();
    await connect();
    await until(() => handler.sessionCount === 2);

    const response = await rawInitialize();
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', error: { message: expect.stringMatching(/Too many/) } });
  });

  it('an SDK client opening one session past the cap is told why (503), and gets in once a session ends', async () => {
    await mount({ maxSessions: 3 });
    const held = [await connect(), await connect(), await connect()];
    await until(() => standingStreams === 3);

    const refused = new Client({ name: 'one-too-many', version: '1.0.0' });
    const error = await refused.connect(new StreamableHTTPClientTransport(mcpUrl)).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toMatchObject({ code: 503, message: expect.stringContaining('Too many open MCP sessions') });
    expect(handler.sessionCount).toBe(3);

    await held[0]!.transport.terminateSession();
    expect(handler.sessionCount).toBe(2);
    const { client } = await connect();
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    expect(handler.sessionCount).toBe(3);
  });

  it('makes room by closing the least recently active idle session', async () => {
    await mount({ maxSessions: 2 });
    const first = await rawInitialize();
    await first.text();
    const firstId = first.headers.get('mcp-session-id')!;
    const second = await rawInitialize();
    await second.text();
    expect(handler.sessionCount).toBe(2);

    const { client } = await connect();
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    expect(handler.sessionCount).toBe(2);

    const stale = await fetch(mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': firstId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(stale.status).toBe(404);
  });

  it('closes sessions left idle', async () => {
    await mount({ sessionIdleMs: 100 });
    const response = await rawInitialize();
    await response.text();
    expect(handler.sessionCount).toBe(1);
    // Once the answer's close has reached the handler, the session has nothing open and ages out.
    await until(() => {
      pass(sweepIntervalMs);
      return handler.sessionCount === 0;
    });
  });

  it('keeps a session whose client is still connected', async () => {
    await mount({ sessionIdleMs: 100 });
    const { client } = await connect();
    await until(() => standingStreams === 1);
    // Forty times the idle limit, with the stream open all along.
    pass(4_000);
    expect(handler.sessionCount).toBe(1);
    expect((await client.callTool({ name: 'chat', arguments: { model: 'mock/echo', prompt: 'still here' } })).structuredContent).toMatchObject({
      text: 'Echo: still here',
    });
  });

  it('closes every session when the handler closes', async () => {
    await mount({});
    await connect();
    await connect();
    await until(() => handler.sessionCount === 2);
    await handler.close();
    expect(handler.sessionCount).toBe(0);
    expect((await rawInitialize()).status).toBe(503);
  });
});
