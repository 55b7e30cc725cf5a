/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
 * devDependencies) run against a real `tollgate serve`: its CLI runs each server scenario that
 * applies to a server with its own tools, and each scenario's checks must pass. Below it, what
 * the suite does not check: the handshake's details, a call's progress as an SSE stream, the
 * one standing GET stream, and the requests the transport refuses.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, repoRoot, runCli, waitForUrl, type CliProcess } from '../../support/cli.js';
import { startGateway } from '../../support/gateway.js';
import { startUpstream } from '../../support/upstreams/index.js';
import { startMcpTestServer, type McpTestServer } from './helpers.js';

/** Each scenario that applies, with the checks in it that must succeed (the others are INFO). */
const applicable: Record<string, string[]> = {
  'server-initialize': ['server-initialize'],
  ping: ['ping'],
  'tools-list': ['tools-list'],
  // Calls the unknown tool `test_error_handling`: the answer must be a result with isError.
  'tools-call-error': ['tools-call-error'],
  'resources-list': ['resources-list'],
  'prompts-list': ['prompts-list'],
  'server-sse-multiple-streams': ['server-accepts-multiple-post-streams'],
  'dns-rebinding-protection': ['localhost-host-rebinding-rejected', 'localhost-host-valid-accepted'],
};

/**
 * The suite's other server scenarios, and why they do not apply: each needs a tool, prompt,
 * resource or capability of the suite's reference server, which Tollgate does not have.
 */
const notApplicable: Record<string, string> = {
  'logging-set-level': 'Tollgate does not offer the logging capability',
  'tools-call-with-logging': 'calls test_tool_with_logging, and Tollgate does not offer logging',
  'completion-complete': 'completes test_prompt_with_arguments (Tollgate’s completions: resources.test.ts, prompts.test.ts)',
  'tools-call-simple-text': 'calls test_simple_text',
  'tools-call-image': 'calls test_image_content',
  'tools-call-audio': 'calls test_audio_content',
  'tools-call-embedded-resource': 'calls test_embedded_resource',
  'tools-call-mixed-content': 'calls test_multiple_content_types',
  'tools-call-with-progress': 'calls test_tool_with_progress (Tollgate’s progress: below)',
  'tools-call-sampling': 'calls test_sampling',
  'tools-call-elicitation': 'calls test_elicitation',
  'json-schema-2020-12': 'lists json_schema_2020_12_tool',
  'elicitation-sep1034-defaults': 'calls test_elicitation_sep1034_defaults',
  'elicitation-sep1330-enums': 'calls test_elicitation_sep1330_enums',
  'server-sse-polling': 'calls test_reconnection',
  'resources-read-text': 'reads test://static-text',
  'resources-read-binary': 'reads test://static-binary',
  'resources-templates-read': 'reads test://template/{id}/data',
  'resources-subscribe': 'subscribes to test://static-text',
  'resources-unsubscribe': 'unsubscribes from test://static-text',
  'prompts-get-simple': 'gets test_simple_prompt',
  'prompts-get-with-args': 'gets test_prompt_with_arguments',
  'prompts-get-embedded-resource': 'gets test_prompt_with_embedded_resource',
  'prompts-get-with-image': 'gets test_prompt_with_image',
};

const suiteCli = join(repoRoot, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const node20Shim = pathToFileURL(join(repoRoot, 'test', 'support', 'conformance-node20.mjs')).href;

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO';
  errorMessage?: string;
}

/**
 * Runs every server scenario of the suite in one process (most of its cost is loading), killed
 * if it outlives two minutes. The exit code is not the verdict: scenarios that do not apply fail.
 * Returns each scenario's checks, from the `checks.json` the suite writes for it, and its output.
 */
async function runSuite(mcpUrl: string, outputDir: string): Promise<{ checks: Map<string, Check[]>; output: string }> {
  const args = ['--import', node20Shim, suiteCli, 'server', '--url', mcpUrl, '--suite', 'all', '--output-dir', outputDir];
  const child = spawn(process.execPath, args, { env: cleanEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  await new Promise((resolve) => child.once('exit', resolve));
  clearTimeout(killer);
  const checks = new Map<string, Check[]>();
  for (const folder of readdirSync(outputDir)) {
    // server-<scenario>-<ISO time with - for : and .>
    const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(folder)?.[1];
    if (scenario) checks.set(scenario, JSON.parse(readFileSync(join(outputDir, folder, 'checks.json'), 'utf8')) as Check[]);
  }
  return { checks, output };
}

describe('the official MCP conformance suite against `tollgate serve`', () => {
  let serve: CliProcess;
  let dataDir: string;
  let outputDir: string;
  let suite: Awaited<ReturnType<typeof runSuite>>;

  beforeAll(async () => {
    if (!existsSync(suiteCli)) throw new Error(`the conformance suite is not installed (${suiteCli}): run npm ci`);
    dataDir = mkdtempSync(join(tmpdir(), 'tollgate-conformance-data-'));
    outputDir = mkdtempSync(join(tmpdir(), 'tollgate-conformance-'));
    serve = runCli(['serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], {});
    suite = await runSuite(`${await waitForUrl(serve)}/mcp`, outputDir);
  }, 180_000);
  afterAll(async () => {
    await serve?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outputDir, { recursive: true, force: true });
  });

  it('ran every server scenario, each sorted here into those that apply and those that do not', () => {
    expect([...suite.checks.keys()].sort(), suite.output).toEqual([...Object.keys(applicable), ...Object.keys(notApplicable)].sort());
  });

  for (const [scenario, mustSucceed] of Object.entries(applicable)) {
    it(`passes ${scenario}`, () => {
      const checks = suite.checks.get(scenario) ?? [];
      expect(checks.filter((check) => check.status !== 'SUCCESS' && check.status !== 'INFO')).toEqual([]);
      expect(checks.filter((check) => check.status === 'SUCCESS').map((check) => check.id)).toEqual(expect.arrayContaining(mustSucceed));
    });
  }
});

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

describe('what the suite does not check', () => {
  it('the handshake names the server, the latest protocol and the capabilities', () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'tollgate', version: expect.any(String) });
    expect(transport.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, resources: {}, prompts: {}, completions: {} });
    expect(transport.sessionId).toMatch(/^[\x21-\x7e]+$/);
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

  it('a session has one standing GET stream: the SDK client holds it, so a second is refused 409', async () => {
    const second = await request(server.mcpUrl, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': transport.sessionId! } });
    expect(second.statusCode).toBe(409);
    expect(await second.body.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Conflict: Only one SSE stream is allowed per session' }, id: null });
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
});

/** The JSON-RPC messages of an SSE body. */
function sseMessages(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n\n')
    .flatMap((event) => event.split('\n').filter((line) => line.startsWith('data: ')))
    .map((line) => JSON.parse(line.slice('data: '.length)) as Record<string, unknown>);
}

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

