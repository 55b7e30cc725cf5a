import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedOrigin, startMcpTestServer, type McpTestServer } from './helpers.js';

let server: McpTestServer;

beforeAll(async () => {
  server = await startMcpTestServer();
});

afterAll(async () => {
  await server?.close();
});

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so the Host and Origin headers are exactly what the test says. */
function send(method: string, headers: Record<string, string>, body?: unknown): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      server.mcpUrl,
      {
        method,
        headers: {
          accept: 'application/json, text/event-stream',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function jsonRpcError(response: RawResponse): { code: number; message: string } {
  const parsed = JSON.parse(response.body) as { jsonrpc: string; error: { code: number; message: string } };
  expect(parsed.jsonrpc).toBe('2.0');
  return parsed.error;
}

describe('DNS-rebinding and cross-site protection', () => {
  it('refuses a foreign Origin with 403 and a JSON-RPC error', async () => {
    const response = await send('POST', { origin: 'https://evil.example' }, initialize);
    expect(response.status).toBe(403);
    expect(jsonRpcError(response).message).toMatch(/Origin/);
  });

  it("refuses the opaque 'null' Origin of sandboxed pages", async () => {
    const response = await send('POST', { origin: 'null' }, initialize);
    expect(response.status).toBe(403);
  });

  it('refuses a foreign Host with 403, whatever the Origin', async () => {
    const response = await send('POST', { host: 'attacker.example:80' }, initialize);
    expect(response.status).toBe(403);
    expect(jsonRpcError(response).message).toMatch(/Host/);
  });

  it('accepts loopback Hosts by any name', async () => {
    const port = server.mcpUrl.port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const response = await send('POST', { host }, initialize);
      expect(response.status, host).toBe(200);
    }
  });

  it('accepts a loopback Origin and the configured one, with CORS headers', async () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:8080', allowedOrigin]) {
      const response = await send('POST', { origin }, initialize);
      expect(response.status, origin).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBe(origin);
      expect(String(response.headers['access-control-expose-headers'])).toMatch(/Mcp-Session-Id/i);
    }
  });
});

describe('sessions', () => {
  it('starts a session on initialize and names it in mcp-session-id', async () => {
    const response = await send('POST', {}, initialize);
    expect(response.status).toBe(200);
    expect(response.headers['mcp-session-id']).toEqual(expect.any(String));
    expect(response.body).toContain('"serverInfo"');
    expect(response.body).toContain('"name":"tollgate"');
  });

  it('refuses a request without a session that is not initialize', async () => {
    const response = await send('POST', {}, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(response.status).toBe(400);
    jsonRpcError(response);
  });

  it('answers an unknown session id with 404, so the client starts over', async () => {
    const response = await send('POST', { 'mcp-session-id': 'not-a-session' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(response.status).toBe(404);
    expect(jsonRpcError(response).code).toBe(-32001);
  });

  it('refuses a body that is not JSON', async () => {
    const response = await new Promise<RawResponse>((resolve, reject) => {
      const req = request(
        server.mcpUrl,
        { method: 'POST', headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on('error', reject);
      req.end('{not json');
    });
    expect(response.status).toBe(400);
    expect(jsonRpcError(response).code).toBe(-32700);
  });

  it('closes a session on DELETE; its id is unknown afterwards', async () => {
    const { client, transport } = await server.connect();
    await client.listTools();
    const sessionId = transport.sessionId!;
    expect(sessionId).toEqual(expect.any(String));

    await transport.terminateSession();

    const after = await send('POST', { 'mcp-session-id': sessionId }, { jsonrpc: '2.0', id: 9, method: 'tools/list' });
    expect(after.status).toBe(404);
  });

  it('keeps sessions apart: two clients work at the same time', async () => {
    const [a, b] = await Promise.all([server.connect(), server.connect()]);
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
    const [ra, rb] = await Promise.all([
      a.client.callTool({ name: 'chat', arguments: { prompt: 'from a' } }),
      b.client.callTool({ name: 'chat', arguments: { prompt: 'from b' } }),
    ]);
    expect(ra.structuredContent).toMatchObject({ text: 'Echo: from a' });
    expect(rb.structuredContent).toMatchObject({ text: 'Echo: from b' });
  });
});
