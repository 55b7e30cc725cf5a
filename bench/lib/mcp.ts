// MCP `tools/call` round trips, one at a time, with the MCP SDK's own client: over stdio
// (`tollgate mcp` as a child) and over Streamable HTTP (`/mcp` of the running server); and the
// same chat request on the server's OpenAI HTTP API, to read the MCP figures against.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { request } from 'undici';
import { adopt, cpuMs, Tail } from './procs.js';
import { summarise, usSince, type Percentiles } from './stats.js';

/** Calls made one at a time, after a warm-up, with the serving process's CPU time per call. */
export interface TimedCalls {
  warmup: number;
  requested: number;
  measured: number;
  errors: number;
  firstError?: string;
  /** Stopped early at the time limit or on errors. */
  truncated: boolean;
  callsPerSec: number;
  /** Round trip of one call, µs. */
  latencyUs: Percentiles;
  /** CPU time (user + system) of the serving process per measured call, µs. */
  cpuUsPerCall: number | null;
  /** The same during the warm-up: mostly the JIT compiling the path, paid once per process. */
  warmupCpuUsPerCall: number | null;
  /** What the first successful call answered, to show it really ran. */
  sample?: string;
}

export interface McpRun extends TimedCalls {
  transport: 'stdio' | 'streamable-http';
  /** From spawning (stdio) or the first request (HTTP) to an initialised session. */
  connectMs: number;
  /** Size of the `tools/list` result as JSON: what every agent conversation pays before it asks. */
  toolsListBytes: number;
}

export interface CallOptions {
  warmup: number;
  calls: number;
  timeLimitMs: number;
}

export interface McpCallOptions extends CallOptions {
  tool: string;
  args: Record<string, unknown>;
}

const CALL_TIMEOUT_MS = 10_000;

function textOf(result: unknown): string {
  const content = (result as { content?: { type?: string; text?: string }[] }).content;
  return (content ?? []).map((c) => (c.type === 'text' ? c.text ?? '' : `[${c.type}]`)).join(' ');
}

/** Runs `call` (which returns a sample of the answer, or throws) one at a time; the server's CPU is read around the measured calls. */
export async function timeCalls(call: () => Promise<string>, opts: CallOptions, serverPid: number | null): Promise<TimedCalls> {
  const samples: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let sample: string | undefined;
  let truncated = false;
  const deadline = Date.now() + opts.timeLimitMs;
  const cpuAtStart = serverPid ? cpuMs(serverPid) : 0;
  let measureStart = 0n;
  let cpuStart = 0;
  const total = opts.warmup + opts.calls;
  for (let i = 0; i < total; i++) {
    if (Date.now() > deadline) {
      truncated = true;
      break;
    }
    if (i === opts.warmup) {
      measureStart = process.hrtime.bigint();
      cpuStart = serverPid ? cpuMs(serverPid) : 0;
    }
    const start = process.hrtime.bigint();
    try {
      const answer = await call();
      const us = usSince(start);
      sample ??= answer.slice(0, 200);
      if (i >= opts.warmup) samples.push(us);
    } catch (e) {
      errors++;
      firstError ??= (e as Error).message;
      if (errors > 20 && errors > i / 2) {
        truncated = true;
        break;
      }
    }
  }
  const elapsedS = measureStart === 0n ? 0 : Number(process.hrtime.bigint() - measureStart) / 1e9;
  const cpuUsPerCall = serverPid && measureStart !== 0n && samples.length ? ((cpuMs(serverPid) - cpuStart) * 1000) / samples.length : null;
  const warmupCpuUsPerCall = serverPid && measureStart !== 0n && opts.warmup > 0 ? ((cpuStart - cpuAtStart) * 1000) / opts.warmup : null;
  return {
    warmup: opts.warmup,
    requested: opts.calls,
    measured: samples.length,
    errors,
    ...(firstError ? { firstError } : {}),
    truncated,
    callsPerSec: elapsedS > 0 ? samples.length / elapsedS : 0,
    latencyUs: summarise(samples),
    cpuUsPerCall,
    warmupCpuUsPerCall,
    ...(sample !== undefined ? { sample } : {}),
  };
}

async function measure(client: Client, transport: McpRun['transport'], connectMs: number, opts: McpCallOptions, serverPid: number | null): Promise<McpRun> {
  const toolsListBytes = Buffer.byteLength(JSON.stringify(await client.listTools()));
  const timed = await timeCalls(
    async () => {
      const result = await client.callTool({ name: opts.tool, arguments: opts.args }, undefined, { timeout: CALL_TIMEOUT_MS });
      if (result.isError) throw new Error(`tool error: ${textOf(result).slice(0, 300)}`);
      return textOf(result);
    },
    opts,
    serverPid,
  );
  return { transport, connectMs, ...timed, toolsListBytes };
}

/**
 * The chat request a `tools/call chat` makes, sent straight to the OpenAI HTTP API of the same
 * server one at a time: the cost of the request itself, against which the MCP face's is read.
 */
export async function benchChatHttp(url: string, headers: Record<string, string>, body: string, opts: CallOptions, serverPid: number): Promise<TimedCalls> {
  return timeCalls(
    async () => {
      const res = await request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body, headersTimeout: CALL_TIMEOUT_MS, bodyTimeout: CALL_TIMEOUT_MS });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
      return text;
    },
    opts,
    serverPid,
  );
}

/** Closes the client, bounded in time: a wedged server must not hold the bench. */
async function closeBounded(client: Client, transport: Transport, ms = 3000): Promise<void> {
  const timeout = new Promise<void>((r) => setTimeout(r, ms).unref());
  await Promise.race([
    (async () => {
      if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession().catch(() => undefined);
      await client.close().catch(() => undefined);
    })(),
    timeout,
  ]);
}

/** `tollgate mcp` over stdio, spawned by the SDK's transport; its pid is adopted for cleanup. */
export async function benchMcpStdio(
  spawnSpec: { command: string; args: string[]; cwd: string; env: Record<string, string> },
  opts: McpCallOptions,
): Promise<McpRun & { stderrTail: string }> {
  const stderr = new Tail(8192);
  const transport = new StdioClientTransport({ ...spawnSpec, stderr: 'pipe' });
  transport.stderr?.on('data', (c: Buffer) => stderr.push(c));
  const client = new Client({ name: 'tollgate-bench', version: '1.0.0' });
  const start = Date.now();
  try {
    const connecting = client.connect(transport, { timeout: 60_000 });
    // The child exists once start() ran, before the handshake ends: adopt it at once.
    await new Promise((r) => setImmediate(r));
    adopt(transport.pid);
    await connecting;
    adopt(transport.pid);
    const run = await measure(client, 'stdio', Date.now() - start, opts, transport.pid);
    return { ...run, stderrTail: stderr.toString().slice(-2000) };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${stderr.toString().slice(-2000)}`);
  } finally {
    await closeBounded(client, transport);
  }
}

/** Streamable HTTP against a running server's `/mcp`. */
export async function benchMcpHttp(url: string, headers: Record<string, string>, opts: McpCallOptions, serverPid: number): Promise<McpRun> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = new Client({ name: 'tollgate-bench', version: '1.0.0' });
  const start = Date.now();
  try {
    await client.connect(transport, { timeout: 30_000 });
    return await measure(client, 'streamable-http', Date.now() - start, opts, serverPid);
  } finally {
    await closeBounded(client, transport);
  }
}
