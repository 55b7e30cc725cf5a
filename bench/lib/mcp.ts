// MCP `tools/call` round trips, one at a time, with the MCP SDK's own client: over stdio
// (`tollgate mcp` as a child) and over Streamable HTTP (`/mcp` of the running server); and the
// same chat request on the server's OpenAI HTTP API, to read the MCP figures against.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
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

/** Calls in a block: each caller's blocks alternate, so all see the same machine and the same JIT. */
const BLOCK = 100;

interface Tally {
  samples: number[];
  errors: number;
  firstError?: string;
  sample?: string;
  warmupCpuMs: number;
  cpuMs: number;
  ns: bigint;
  stopped: boolean;
}

/**
 * Runs each of `calls` (each returns a sample of its answer, or throws) one at a time, the callers'
 * blocks of calls alternating; the serving process's CPU is read around each block.
 */
export async function timeCalls(calls: Array<() => Promise<string>>, opts: CallOptions, serverPid: number | null): Promise<TimedCalls[]> {
  const tallies: Tally[] = calls.map(() => ({ samples: [], errors: 0, warmupCpuMs: 0, cpuMs: 0, ns: 0n, stopped: false }));
  const deadline = Date.now() + opts.timeLimitMs;
  let truncated = false;
  for (const [phase, count] of [['warmup', opts.warmup], ['measured', opts.calls]] as const) {
    for (let done = 0; done < count && !truncated; done += BLOCK) {
      const size = Math.min(BLOCK, count - done);
      for (const [index, call] of calls.entries()) {
        const t = tallies[index]!;
        if (t.stopped) continue;
        const cpuBefore = serverPid ? cpuMs(serverPid) : 0;
        const blockStart = process.hrtime.bigint();
        for (let i = 0; i < size; i++) {
          if (Date.now() > deadline) {
            truncated = true;
            break;
          }
          const start = process.hrtime.bigint();
          try {
            const answer = await call();
            const us = usSince(start);
            t.sample ??= answer.slice(0, 200);
            if (phase === 'measured') t.samples.push(us);
          } catch (e) {
            t.errors++;
            t.firstError ??= (e as Error).message;
            if (t.errors > 20 && t.errors > (done + i) / 2) {
              t.stopped = true;
              break;
            }
          }
        }
        const cpu = serverPid ? cpuMs(serverPid) - cpuBefore : 0;
        if (phase === 'warmup') t.warmupCpuMs += cpu;
        else {
          t.cpuMs += cpu;
          t.ns += process.hrtime.bigint() - blockStart;
        }
      }
    }
  }
  return tallies.map((t) => ({
    warmup: opts.warmup,
    requested: opts.calls,
    measured: t.samples.length,
    errors: t.errors,
    ...(t.firstError ? { firstError: t.firstError } : {}),
    truncated: truncated || t.stopped,
    callsPerSec: t.ns > 0n ? t.samples.length / (Number(t.ns) / 1e9) : 0,
    latencyUs: summarise(t.samples),
    cpuUsPerCall: serverPid && t.samples.length ? (t.cpuMs * 1000) / t.samples.length : null,
    warmupCpuUsPerCall: serverPid && opts.warmup > 0 ? (t.warmupCpuMs * 1000) / opts.warmup : null,
    ...(t.sample !== undefined ? { sample: t.sample } : {}),
  }));
}

/** `tools/call` of the tool asked for, through `client`; throws on a tool error. */
function toolCaller(client: Client, opts: McpCallOptions): () => Promise<string> {
  return async () => {
    const result = await client.callTool({ name: opts.tool, arguments: opts.args }, undefined, { timeout: CALL_TIMEOUT_MS });
    if (result.isError) throw new Error(`tool error: ${textOf(result).slice(0, 300)}`);
    return textOf(result);
  };
}

async function toolsListBytes(client: Client): Promise<number> {
  return Buffer.byteLength(JSON.stringify(await client.listTools()));
}

/**
 * The chat request a `tools/call chat` makes, sent straight to the OpenAI HTTP API of the same
 * server: the cost of the request itself, against which the MCP face's is read.
 */
export function chatHttpCaller(url: string, headers: Record<string, string>, body: string): () => Promise<string> {
  return async () => {
    const res = await request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body, headersTimeout: CALL_TIMEOUT_MS, bodyTimeout: CALL_TIMEOUT_MS });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    return text;
  };
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
    const connectMs = Date.now() - start;
    const listBytes = await toolsListBytes(client);
    const [timed] = await timeCalls([toolCaller(client, opts)], opts, transport.pid);
    return { transport: 'stdio', connectMs, ...timed!, toolsListBytes: listBytes, stderrTail: stderr.toString().slice(-2000) };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${stderr.toString().slice(-2000)}`);
  } finally {
    await closeBounded(client, transport);
  }
}

/**
 * The SDK's client hands one transport-wide abort signal to every fetch, and Node's fetch leaves
 * a listener on it per request until it is collected: thousands of calls pile them up in this
 * process (and warn). Each POST gets a signal of its own, tied to the transport's while it runs;
 * the standing GET stream keeps the transport's, which closing it aborts.
 */
const fetchWithOwnSignal: FetchLike = async (url, init) => {
  const outer = init?.signal;
  if (!outer || init?.method === 'GET') return fetch(url, init);
  const inner = new AbortController();
  const onAbort = () => inner.abort(outer.reason);
  if (outer.aborted) inner.abort(outer.reason);
  else outer.addEventListener('abort', onAbort, { once: true });
  try {
    return await fetch(url, { ...init, signal: inner.signal });
  } finally {
    outer.removeEventListener('abort', onAbort);
  }
};

/**
 * Streamable HTTP against a running server's `/mcp`, its blocks of calls alternating with those
 * of `alongside` (the same chat on the HTTP API), timed the same way.
 */
export async function benchMcpHttp(
  url: string,
  headers: Record<string, string>,
  opts: McpCallOptions,
  serverPid: number,
  alongside: () => Promise<string>,
): Promise<{ mcp: McpRun; alongside: TimedCalls }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers }, fetch: fetchWithOwnSignal });
  const client = new Client({ name: 'tollgate-bench', version: '1.0.0' });
  const start = Date.now();
  try {
    await client.connect(transport, { timeout: 30_000 });
    const connectMs = Date.now() - start;
    const listBytes = await toolsListBytes(client);
    const [mcp, other] = await timeCalls([toolCaller(client, opts), alongside], opts, serverPid);
    return { mcp: { transport: 'streamable-http', connectMs, ...mcp!, toolsListBytes: listBytes }, alongside: other! };
  } finally {
    await closeBounded(client, transport);
  }
}
