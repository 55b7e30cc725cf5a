/**
 * Run as a child process (`node --import tsx test/support/loaded-packages.ts`) by
 * test/e2e/lazy-loading.test.ts: serves requests one kind after another and prints, as one JSON
 * line on stdout, which packages the process had loaded after each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';

// Every module URL that ES module resolution hands out; CommonJS modules are read from require's cache.
const resolved = new Set<string>();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url: string) => resolved.add(url));
port1.unref();
const hooks = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  port.postMessage(result.url);
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { port: port2 }, transferList: [port2] });

const { parseConfig } = await import('../../src/config/load.js');
const { startServer } = await import('../../src/server.js');
const { startUpstream } = await import('./upstreams/index.js');

/** Package files loaded so far, as `package/path/in/package` (the hooks report from their own thread). */
async function loaded(): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  const files = [...resolved, ...Object.keys(createRequire(import.meta.url).cache).map((path) => `file://${path}`)];
  const packages = new Set<string>();
  for (const file of files) {
    const inPackage = /\/node_modules\/((?:@[^/]+\/)?[^/]+\/.*)$/.exec(file);
    if (inPackage) packages.add(inPackage[1]!);
  }
  return [...packages].sort();
}

const upstream = await startUpstream();
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-loaded-'));
const config = parseConfig(
  { providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'test-key', models: { m: { pricing: { input: 1, output: 2 } } } } } },
  {},
);
const server = await startServer({ config, dataDir, port: 0, host: '127.0.0.1', logLevel: 'silent', env: {} });

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  await response.text();
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
}

const report: Record<string, string[]> = {};
report.started = await loaded();
await post('/v1/chat/completions', { model: 'up/m', stream: true, messages: [{ role: 'user', content: 'hi' }] });
await post('/v1/chat/completions', { model: 'up/m', messages: [{ role: 'user', content: 'hi' }] });
await post('/v1/chat/completions', { model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'hi' }] });
report.openaiChat = await loaded();
await post('/v1/messages', { model: 'up/m', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
report.translatedChat = await loaded();
await post(
  '/mcp',
  { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } } },
  { accept: 'application/json, text/event-stream' },
);
report.mcp = await loaded();

await server.close();
await upstream.close();
rmSync(dataDir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(report)}\n`);
