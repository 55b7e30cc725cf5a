/**
 * The server scenarios of the official MCP conformance suite (@modelcontextprotocol/conformance)
 * that apply to a server with its own tools, run here with the SDK's client against the real
 * server: initialize, ping, tools, tool errors, resources, several SSE streams at once,
 * DNS-rebinding protection and completion of the resource template. The suite itself cannot run
 * in this project's tests: its entry point imports `fs.globSync`, which Node 20 (a version this
 * project supports and its CI runs) does not have. The scenarios that name the suite's own
 * reference tools (`test_simple_text`, `test_prompt_with_arguments`, …) do not apply.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../support/gateway.js';
import { startUpstream } from '../../support/upstreams/index.js';
import { startMcpTestServer, textOf, type McpTestServer } from './helpers.js';

let server: McpTestServer;
let client: Client;
let transport: StreamableHTTPClientTransport;

beforeAll(async () => {
  server = await startMcpTestServer();
  ({ client, transport } = await server.connect());
});
afterAll(async () => {
  await server?.close();
});

/** A raw POST in the session, as the suite's own fetches send it. */
function post(body: unknown, headers: Record<string, string> = {}) {
  return request(server.mcpUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream, application/json',
      'mcp-session-id': transport.sessionId!,
      'mcp-protocol-version': '2025-03-26',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

/** The JSON-RPC messages of an SSE body. */
function sseMessages(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n\n')
    .flatMap((event) => event.split('\n').filter((line) => line.startsWith('data: ')))
    .map((line) => JSON.parse(line.slice('data: '.length)) as Record<string, unknown>);
}

describe('the conformance suite’s server scenarios', () => {
  it('server-initialize: the handshake names the server, the latest protocol and the capabilities', () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'tollgate', version: expect.any(String) });
    expect(transport.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, resources: {}, completions: {} });
    expect(transport.sessionId).toMatch(/^[\x21-\x7e]+$/);
  });

  it('ping: answers with an empty result', async () => {
    expect(await client.ping()).toEqual({});
  });

  it('tools-list: every tool has a name, a description and an object input schema', async () => {
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) {
      expect(tool.name).toMatch(/^[a-z_]+$/);
      expect(tool.description, tool.name).toBeTruthy();
      expect(tool.inputSchema.type, tool.name).toBe('object');
    }
  });

  it('tools-call-error: a failing call is a result with isError and a message, not a protocol error', async () => {
    const unknown = (await client.callTool({ name: 'test_error_handling', arguments: {} })) as CallToolResult;
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/test_error_handling/);
    const invalid = (await client.callTool({ name: 'chat', arguments: { model: 'mock/echo', prompt: 5 } })) as CallToolResult;
    expect(invalid.isError).toBe(true);
    expect(textOf(invalid)).toMatch(/prompt/);
  });

  it('resources-list and read: each resource has a uri and a name, and reads back as text', async () => {
    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) {
      expect(resource.uri).toMatch(/^[a-z]+:\/\//);
      expect(resource.name).toBeTruthy();
    }
    const llms = resources.find((resource) => resource.uri === 'tollgate://llms.txt')!;
    const { contents } = await client.readResource({ uri: llms.uri });
    expect(contents).toEqual([{ uri: 'tollgate://llms.txt', mimeType: expect.stringMatching(/^text\//), text: expect.stringContaining('# ') }]);
  });

  it('resources-templates-read and completion-complete: the models template completes its argument and reads a model', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    const models = resourceTemplates.find((template) => template.uriTemplate.startsWith('tollgate://models/'))!;
    expect(models).toBeDefined();
    const argument = /\{\+?([a-z_]+)\}/.exec(models.uriTemplate)![1]!;
    const { completion } = await client.complete({ ref: { type: 'ref/resource', uri: models.uriTemplate }, argument: { name: argument, value: 'mock/e' } });
    expect(completion.values).toContain('mock/echo');
    for (const value of completion.values) expect(value.startsWith('mock/e')).toBe(true);
    const { contents } = await client.readResource({ uri: 'tollgate://models/mock/echo' });
    expect(contents[0]).toMatchObject({ uri: 'tollgate://models/mock/echo', mimeType: 'application/json' });
    expect(JSON.parse((contents[0] as { text: string }).text)).toMatchObject({ id: 'mock/echo' });
  });

  it('server-sse-multiple-streams: three POSTs at once on one session, beside its standing GET stream, are all answered', async () => {
    const answers = await Promise.all([0, 1, 2].map((index) => post({ jsonrpc: '2.0', id: 1000 + index, method: 'tools/list', params: {} })));
    const bodies = await Promise.all(answers.map(async (answer) => ({ status: answer.statusCode, type: answer.headers['content-type'], json: (await answer.body.json()) as { id: number; result: { tools: unknown[] } } })));
    for (const [index, body] of bodies.entries()) {
      expect(body.status).toBe(200);
      expect(body.type).toBe('application/json');
      expect(body.json.id).toBe(1000 + index);
      expect(body.json.result.tools.length).toBeGreaterThan(0);
    }
    // The SDK client holds the session's standing GET stream open: a second one is refused.
    const second = await request(server.mcpUrl, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': transport.sessionId! } });
    expect(second.statusCode).toBe(409);
    expect(await second.body.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Conflict: Only one SSE stream is allowed per session' }, id: null });
  });

  it('a call asked for progress is answered as an SSE stream: progress events, then the result', async () => {
    const prompt = 'several words so that the answer streams in more than one piece';
    const answer = await post({ jsonrpc: '2.0', id: 77, method: 'tools/call', params: { name: 'chat', arguments: { model: 'mock/echo', prompt }, _meta: { progressToken: 'p-77' } } });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('text/event-stream');
    const messages = sseMessages(await answer.body.text());
    const progress = messages.filter((message) => message.method === 'notifications/progress');
    expect(progress.length).toBeGreaterThan(0);
    for (const message of progress) expect(message.params).toMatchObject({ progressToken: 'p-77', progress: expect.any(Number) });
    expect(messages.at(-1)).toMatchObject({ jsonrpc: '2.0', id: 77, result: { structuredContent: { text: `Echo: ${prompt}` } } });
  });

  it('dns-rebinding-protection: a foreign Host and Origin get a 4xx, a localhost one is served', async () => {
    const port = server.mcpUrl.port;
    const initialize = (host: string) =>
      request(server.mcpUrl, {
        method: 'POST',
        headers: { host, origin: `http://${host}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'conformance', version: '1' } } }),
      });
    const evil = await initialize('evil.example.com');
    expect(evil.statusCode).toBe(403);
    expect(await evil.body.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringMatching(/evil\.example\.com/) }, id: null });
    const local = await initialize(`localhost:${port}`);
    expect(local.statusCode).toBe(200);
    expect(await local.body.json()).toMatchObject({ jsonrpc: '2.0', id: 1, result: { protocolVersion: LATEST_PROTOCOL_VERSION } });
  });
});

describe('requests the transport refuses, each as a JSON-RPC error', () => {
  const expectRefusal = async (answer: Awaited<ReturnType<typeof post>>, status: number, code: number, message: RegExp) => {
    expect(answer.statusCode).toBe(status);
    const body = (await answer.body.json()) as { jsonrpc: string; error: { code: number; message: string }; id: null };
    expect(body).toEqual({ jsonrpc: '2.0', error: { code, message: expect.stringMatching(message) }, id: null });
  };

  it('a protocol version the server does not speak: 400 naming the versions it does', async () => {
    await expectRefusal(await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-protocol-version': '1999-01-01' }), 400, -32000, /Unsupported protocol version: 1999-01-01 \(supported versions: 2025-11-25/);
  });

  it('a POST that does not accept both JSON and SSE: 406', async () => {
    await expectRefusal(await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { accept: 'application/json' }), 406, -32000, /must accept both application\/json and text\/event-stream/);
  });

  it('a GET that does not accept SSE: 406', async () => {
    const answer = await request(server.mcpUrl, { method: 'GET', headers: { accept: 'application/json', 'mcp-session-id': transport.sessionId! } });
    await expectRefusal(answer, 406, -32000, /must accept text\/event-stream/);
  });

  it('a message that is not JSON-RPC: 400 parse error', async () => {
    await expectRefusal(await post({ jsonrpc: '1.0', hello: 'world' }), 400, -32700, /Invalid JSON-RPC message/);
  });

  it('a batch of more than 100 messages: 400', async () => {
    const batch = Array.from({ length: 101 }, (_, index) => ({ jsonrpc: '2.0', id: index, method: 'ping' }));
    await expectRefusal(await post(batch), 400, -32600, /at most 100 messages/);
  });

  it('initialize again inside a session: 400', async () => {
    const again = { jsonrpc: '2.0', id: 9, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'again', version: '1' } } };
    await expectRefusal(await post(again), 400, -32600, /already initialized/);
  });
});

describe('a session closed while a call is running', () => {
  it('answers the waiting POST 404 Session not found, as a JSON-RPC error', async () => {
    const upstream = await startUpstream();
    upstream.script('m', { kind: 'hang' });
    const gateway = await startGateway({ providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { m: {} } } } });
    try {
      const url = `${gateway.url}/mcp`;
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const opened = await request(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
      });
      await opened.body.text();
      const session = { 'mcp-session-id': opened.headers['mcp-session-id'] as string, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION };
      const call = request(url, {
        method: 'POST',
        headers: { ...headers, ...session },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'chat', arguments: { model: 'up/m', prompt: 'hi' } } }),
      });
      for (let turn = 0; upstream.requests.length === 0 && turn < 100_000; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(upstream.requests).toHaveLength(1);

      const deleted = await request(url, { method: 'DELETE', headers: session });
      expect(deleted.statusCode).toBe(200);
      await deleted.body.text();
      const answer = await call;
      expect(answer.statusCode).toBe(404);
      expect(await answer.body.json()).toEqual({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });
});

