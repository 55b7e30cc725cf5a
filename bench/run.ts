// `npm run bench`: throughput direct to a loopback upstream, through Tollgate and through
// Portkey's open-source gateway, in one run; added latency one request at a time; MCP
// tools/call round trips over stdio and Streamable HTTP; Tollgate's memory with 1,000 open
// streams; what the access log, metrics and traces cost; reports, /health and start-up on a
// ledger of 2 million requests. Prints one table with the targets and
// writes bench/results/latest.json.
//
//   npm run bench -- [--quick] [--connections 50,200] [--no-peers] [--only LIST] [--profile] …
//
// Exits 0 when the bench ran, whatever the figures (it is a report); non-zero only when
// something failed to run.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { runLoad, type LoadResult, type Target } from './lib/load.js';
import { benchMcpHttp, benchMcpStdio, chatHttpCaller } from './lib/mcp.js';
import { ensurePortkey, PORTKEY_VERSION, portkeyHeaders, startPortkey, type RunningPortkey } from './lib/portkey.js';
import { renderProfile, summariseProfile } from './lib/profile.js';
import {
  cpuMs,
  killAllNow,
  openFileLimit,
  openFds,
  repoPath,
  RssSampler,
  rssBytes,
  spawnGateway,
  startUpstream,
  stopAll,
  stopChild,
  waitForHealth,
} from './lib/procs.js';
import {
  floorSide,
  render,
  TARGETS,
  throughputCheckName,
  type Added,
  type BenchResults,
  type Check,
  type FloorInfo,
  type FloorSide,
  type MedianLoad,
  type PeerInfo,
  type Side,
  type StreamsPhase,
  type ThroughputCase,
} from './lib/report.js';
import { runSequential, type SeqResult, type SeqTarget } from './lib/sequential.js';
import { benchLargeLedger, renderLargeLedger, type LargeLedgerResult } from './lib/large-ledger.js';
import { benchSharedStore, renderSharedStore, type SharedStoreResult } from './lib/shared-store.js';
import { benchCache, renderCache, type CacheBenchResult } from './lib/cache.js';
import { benchTelemetry, renderTelemetry, type TelemetryResult } from './lib/telemetry.js';
import { benchStrategySelection } from './strategy-selection.js';
import { median } from './lib/stats.js';
import { openStreams } from './lib/streams.js';
import { CONTENT_DELTAS, dripModel, FULL_CONTENT, SLOW_MODEL, SLOW_PAUSE_MS, UPSTREAM_API_KEY } from './upstream.js';

const SECTIONS = ['throughput', 'latency', 'mcp', 'streams', 'shared-store', 'cache', 'telemetry', 'large-ledger'] as const;
type Section = (typeof SECTIONS)[number];

const HELP = `Usage: npm run bench -- [options]

  --duration S        seconds per autocannon run (default 10; --quick: 2)
  --connections LIST  concurrent connections, comma-separated (default 50,200)
  --runs N            autocannon runs per case and side; the median is reported (default 1)
  --requests N        one-at-a-time requests per side (default 2000; --quick: 300)
  --warmup N          one-at-a-time warm-up requests per side (default 300; --quick: 100)
  --mcp-calls N       MCP tools/call round trips per transport (default 2000; --quick: 200)
  --mcp-warmup N      calls per transport before those measured, so the JIT has compiled the
                      path (default 2000; --quick: 20)
  --streams N         streams held open at once through Tollgate (default 1000)
  --stream-events N   events per open stream, one per --stream-interval ms (default 40; --quick: 20)
  --stream-interval MS  pause between the events of an open stream (default 200)
  --stream-origins N  upstream ports the open streams are spread over (default: one per 250 streams)
  --modes LIST        throughput modes, comma-separated: non-streaming,streaming (default both)
  --only LIST         sections to run, comma-separated: ${SECTIONS.join(',')} (default all)
  --no-peers          do not install or run Portkey's gateway
  --no-floor          do not measure the floor (bench/floor-proxy.ts, a bare Node proxy)
  --floor-workers LIST  processes of each floor side, comma-separated (default 1,2)
  --ledger-rows N     requests in the large-ledger section's generated ledger (default 2000000; --quick: 200000)
  --quick             short runs, for a smoke check
  --direct-only       bench the upstream alone (no gateways; throughput only)
  --gateway-key K     bearer token to send to Tollgate (default: none; or TOLLGATE_BENCH_KEY)
  --sse-burst         the upstream writes all SSE events at once (default: one per event-loop turn)
  --profile           run Tollgate with --cpu-prof; profile in bench/results/profiles, summary printed
                      (e.g. --profile --connections 50 --only throughput --no-peers)
  --cli PATH          the Tollgate entry to run: a .ts file runs through tsx (default: dist/cli.js
                      when it is newer than every file in src/, else src/cli.ts)
  -h, --help

Portkey ${PORTKEY_VERSION} is installed on first use into bench/results/peers/portkey (ignored by git).
`;

interface Options {
  durationS: number;
  connections: number[];
  runs: number;
  requests: number;
  warmup: number;
  mcpCalls: number;
  mcpWarmup: number;
  streams: number;
  streamEvents: number;
  streamIntervalMs: number;
  streamOrigins: number;
  only: Set<Section>;
  modes: ('non-streaming' | 'streaming')[];
  peers: boolean;
  /** Process counts of the floor sides; empty when the floor is not measured. */
  floorWorkers: number[];
  quick: boolean;
  ledgerRows: number;
  directOnly: boolean;
  gatewayKey: string | undefined;
  cli: string | undefined;
  sseBurst: boolean;
  profile: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      runs: { type: 'string' },
      requests: { type: 'string' },
      warmup: { type: 'string' },
      'mcp-calls': { type: 'string' },
      'mcp-warmup': { type: 'string' },
      streams: { type: 'string' },
      'stream-events': { type: 'string' },
      'stream-interval': { type: 'string' },
      'stream-origins': { type: 'string' },
      only: { type: 'string' },
      modes: { type: 'string' },
      'no-peers': { type: 'boolean', default: false },
      'no-floor': { type: 'boolean', default: false },
      'floor-workers': { type: 'string' },
      quick: { type: 'boolean', default: false },
      'ledger-rows': { type: 'string' },
      'direct-only': { type: 'boolean', default: false },
      'gateway-key': { type: 'string' },
      cli: { type: 'string' },
      'sse-burst': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const num = (v: string | undefined, name: string, def: number, min: number, max: number, whole = true): number => {
    if (v === undefined) return def;
    const x = Number(v);
    if (!Number.isFinite(x) || x < min || x > max) throw new Error(`--${name} must be a number from ${min} to ${max}`);
    return whole ? Math.round(x) : x;
  };
  const quick = values.quick;
  const connections = (values.connections ?? '50,200')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => num(s.trim(), 'connections', 50, 1, 1000));
  if (connections.length === 0 || connections.length > 6) throw new Error('--connections takes one to six numbers, e.g. 50,200');
  const only = new Set<Section>();
  for (const s of (values.only ?? SECTIONS.join(',')).split(',')) {
    const name = s.trim();
    if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only: unknown section "${name}" (known: ${SECTIONS.join(', ')})`);
    only.add(name as Section);
  }
  const streams = num(values.streams, 'streams', 1000, 1, 5000);
  const floorWorkers = [...new Set((values['floor-workers'] ?? '1,2').split(',').filter((s) => s.trim() !== '').map((s) => num(s.trim(), 'floor-workers', 1, 1, 16)))];
  if (floorWorkers.length === 0 || floorWorkers.length > 4) throw new Error('--floor-workers takes one to four numbers, e.g. 1,2');
  const modes = [...new Set((values.modes ?? 'non-streaming,streaming').split(',').map((m) => m.trim()))];
  for (const m of modes) if (m !== 'non-streaming' && m !== 'streaming') throw new Error(`--modes: unknown mode "${m}" (known: non-streaming, streaming)`);
  return {
    durationS: num(values.duration, 'duration', quick ? 2 : 10, 1, 300, false),
    connections: [...new Set(connections)],
    runs: num(values.runs, 'runs', 1, 1, 9),
    requests: num(values.requests, 'requests', quick ? 300 : 2000, 10, 100_000),
    warmup: num(values.warmup, 'warmup', quick ? 100 : 300, 0, 10_000),
    mcpCalls: num(values['mcp-calls'], 'mcp-calls', quick ? 200 : 2000, 10, 100_000),
    mcpWarmup: num(values['mcp-warmup'], 'mcp-warmup', quick ? 20 : 2000, 0, 100_000),
    streams,
    streamEvents: num(values['stream-events'], 'stream-events', quick ? 20 : 40, 1, 1000),
    streamIntervalMs: num(values['stream-interval'], 'stream-interval', 200, 10, 5000),
    streamOrigins: num(values['stream-origins'], 'stream-origins', Math.max(1, Math.ceil(streams / 250)), 1, 64),
    only: values['direct-only'] ? new Set<Section>(['throughput']) : only,
    modes: modes as Options['modes'],
    peers: !values['no-peers'] && !values['direct-only'],
    floorWorkers: values['no-floor'] || values['direct-only'] ? [] : floorWorkers.sort((a, b) => a - b),
    quick,
    ledgerRows: num(values['ledger-rows'], 'ledger-rows', quick ? 200_000 : 2_000_000, 1000, 20_000_000),
    directOnly: values['direct-only'],
    gatewayKey: values['gateway-key'] ?? process.env.TOLLGATE_BENCH_KEY,
    cli: values.cli,
    sseBurst: values['sse-burst'],
    profile: values.profile,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoPath(), encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return null;
  }
}

/** Newest modification time of the files under `dir` (bounded walk). */
function newestMtime(dir: string, limit = 5000): number {
  let newest = 0;
  const stack = [dir];
  let seen = 0;
  while (stack.length && seen < limit) {
    const d = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (++seen > limit) break;
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  }
  return newest;
}

/** Which entry to run and how: the built one when it is current, else the sources through tsx. */
function resolveCli(root: string, asked: string | undefined): { cli: string; nodeArgs: string[]; note: string } {
  const viaNode = (cli: string) => (cli.endsWith('.ts') ? ['--import', 'tsx', cli] : [cli]);
  if (asked) return { cli: asked, nodeArgs: viaNode(asked), note: asked.endsWith('.ts') ? 'through tsx, as asked' : 'as asked' };
  const dist = path.join(root, 'dist', 'cli.js');
  if (existsSync(dist) && statSync(dist).mtimeMs >= newestMtime(path.join(root, 'src'))) {
    return { cli: 'dist/cli.js', nodeArgs: ['dist/cli.js'], note: 'built, newer than src/' };
  }
  return {
    cli: 'src/cli.ts',
    nodeArgs: ['--import', 'tsx', 'src/cli.ts'],
    note: `through tsx: dist/ is ${existsSync(dist) ? 'older than src/' : 'missing'}; npm run build to bench the built form`,
  };
}

const BENCH_UA = 'tollgate-bench';
const log = (s: string) => process.stderr.write(`${s}\n`);

function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Say hello to the bench.' }],
    max_tokens: 16,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

const isCompletion = (body: string) => body.includes(FULL_CONTENT);
const isStream = (body: string) => body.includes('data: [DONE]');

/** Parses an SSE body into its JSON events; throws on a line it cannot read. */
function sseEvents(text: string): { events: unknown[]; done: boolean } {
  const events: unknown[] = [];
  let done = false;
  for (const block of text.split(/\r?\n\r?\n/)) {
    for (const line of block.split(/\r?\n/)) {
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') done = true;
      else events.push(JSON.parse(data));
    }
  }
  return { events, done };
}

interface GatewayCheck {
  /** Why a non-streaming answer was wrong; null when right. */
  nonStreaming: string | null;
  streaming: string | null;
  /** Smaller things worth a line (no usage, held-back stream, …). */
  notes: string[];
}

/**
 * One request of each kind through a gateway before load, so that a gateway that answers
 * wrongly shows here in its own words rather than as a fast error rate under load.
 */
async function checkGateway(name: string, url: string, headers: Record<string, string>, model: (m: string) => string): Promise<GatewayCheck> {
  const out: GatewayCheck = { nonStreaming: null, streaming: null, notes: [] };
  const opts = { method: 'POST' as const, headers, headersTimeout: 15_000, bodyTimeout: 15_000 };
  try {
    const one = await request(url, { ...opts, body: chatBody(model('m'), false) });
    const text = await one.body.text();
    if (one.statusCode !== 200) throw new Error(`HTTP ${one.statusCode}: ${text.slice(0, 800)}`);
    let parsed: { choices?: { message?: { content?: unknown } }[]; usage?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new Error(`body is not JSON: ${text.slice(0, 800)}`);
    }
    if (parsed.choices?.[0]?.message?.content !== FULL_CONTENT) throw new Error(`unexpected content: ${text.slice(0, 800)}`);
    if (!parsed.usage) out.notes.push(`non-streaming response through ${name} has no usage`);
  } catch (e) {
    out.nonStreaming = `non-streaming request through ${name}: ${(e as Error).message}`;
  }
  try {
    const s = await request(url, { ...opts, body: chatBody(model('m'), true) });
    const stext = await s.body.text();
    if (s.statusCode !== 200) throw new Error(`HTTP ${s.statusCode}: ${stext.slice(0, 800)}`);
    const ctype = String(s.headers['content-type'] ?? '');
    if (!ctype.startsWith('text/event-stream')) out.notes.push(`streaming response through ${name} has content-type "${ctype}"`);
    let parsedStream: { events: unknown[]; done: boolean };
    try {
      parsedStream = sseEvents(stext);
    } catch {
      throw new Error(`an SSE event is not JSON: ${stext.slice(0, 800)}`);
    }
    type Chunk = { choices?: { delta?: { content?: unknown } }[]; usage?: unknown };
    const chunks = parsedStream.events as Chunk[];
    const content = chunks.map((c) => c.choices?.[0]?.delta?.content).filter((c) => typeof c === 'string').join('');
    if (content !== FULL_CONTENT) throw new Error(`content "${content}" != "${FULL_CONTENT}"\n${stext.slice(0, 800)}`);
    if (!parsedStream.done) throw new Error(`no "data: [DONE]"\n${stext.slice(-400)}`);
    if (!chunks.some((c) => c.usage)) out.notes.push(`streaming response through ${name} has no usage chunk (stream_options.include_usage)`);
    const contentEvents = chunks.filter((c) => typeof c.choices?.[0]?.delta?.content === 'string' && c.choices[0].delta.content !== '').length;
    if (contentEvents !== CONTENT_DELTAS.length) out.notes.push(`streaming through ${name}: ${contentEvents} content events, the upstream sent ${CONTENT_DELTAS.length}`);
  } catch (e) {
    out.streaming = `streaming request through ${name}: ${(e as Error).message}`;
    return out;
  }
  // A gateway that holds the stream back until it ends would make the first-byte figures
  // meaningless on a fast upstream: ask for a stream that pauses after its first word.
  try {
    const slowStart = process.hrtime.bigint();
    const slow = await request(url, { ...opts, body: chatBody(model(SLOW_MODEL), true) });
    let firstWordMs = -1;
    let slowText = '';
    for await (const c of slow.body) {
      slowText += (c as Buffer).toString();
      if (firstWordMs < 0 && slowText.includes(CONTENT_DELTAS[0])) firstWordMs = Number(process.hrtime.bigint() - slowStart) / 1e6;
    }
    const slowTotalMs = Number(process.hrtime.bigint() - slowStart) / 1e6;
    if (slow.statusCode !== 200) {
      out.notes.push(`streaming the pausing model through ${name}: HTTP ${slow.statusCode}: ${slowText.slice(0, 300)}`);
    } else if (firstWordMs < 0 || firstWordMs >= SLOW_PAUSE_MS * 0.75) {
      out.notes.push(
        `${name} held back the stream: the upstream's first word came at once and the rest ${SLOW_PAUSE_MS} ms later, ` +
          `but the client saw the first word after ${firstWordMs < 0 ? 'never' : `${firstWordMs.toFixed(1)} ms`} (whole stream ${slowTotalMs.toFixed(1)} ms)`,
      );
    }
  } catch (e) {
    out.notes.push(`streaming the pausing model through ${name}: ${(e as Error).message}`);
  }
  return out;
}

interface UpstreamStats {
  chat: number;
  stream: number;
  rejected: number;
  userAgents: Record<string, number>;
  dripOpen: number;
  dripPeak: number;
  connections: number;
}

async function upstreamStats(origin: string): Promise<UpstreamStats> {
  const res = await request(`${origin}/__stats`, { method: 'GET', headersTimeout: 5000, bodyTimeout: 5000 });
  return (await res.body.json()) as UpstreamStats;
}

function medianLoad(runs: LoadResult[]): MedianLoad {
  const sum = (f: (r: LoadResult) => number) => runs.reduce((a, r) => a + f(r), 0);
  return {
    reqPerSec: median(runs.map((r) => r.reqPerSec)),
    latencyP50Ms: median(runs.map((r) => r.latencyMs.p50)),
    latencyP99Ms: median(runs.map((r) => r.latencyMs.p99)),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    non2xx: sum((r) => r.non2xx),
    mismatches: sum((r) => r.mismatches),
    flagged: runs.some((r) => r.flagged),
  };
}

function added(s: SeqResult, pick: 'total' | 'firstByte', side = 'tollgate'): Added | null {
  const d = s.sides.direct?.[pick];
  const t = s.sides[side]?.[pick];
  if (!d || !t || d.count === 0 || t.count === 0) return null;
  return { p50: t.p50 - d.p50, p90: t.p90 - d.p90, p99: t.p99 - d.p99 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const opts = parseOptions();
  const t0 = Date.now();
  const startedAt = new Date().toISOString();
  const flags: string[] = [];
  const root = repoPath();
  const run = opts.only;
  // Routing's own cost, in-process: the target is at most 10 µs per request at 20 deployments.
  for (const line of benchStrategySelection()) log(`bench: ${line}`);
  const cli = resolveCli(root, opts.cli);
  if (!opts.directOnly && !existsSync(path.resolve(root, cli.cli))) {
    log(`bench: ${cli.cli} does not exist yet; use --direct-only to bench the upstream alone`);
    return 2;
  }

  // Everything the phases can take, plus room to start up: past this, something is wedged.
  const SEQ_LIMIT_MS = 120_000;
  const MCP_LIMIT_MS = 180_000;
  const streamLimitMs = 60_000 + opts.streamEvents * opts.streamIntervalMs;
  const sides = (opts.directOnly ? 1 : opts.peers ? 3 : 2) + opts.floorWorkers.length;
  const budgetS =
    60 /* upstream, Tollgate */ +
    (opts.peers ? 360 /* install, start */ : 0) +
    60 /* checks */ +
    (run.has('throughput') ? opts.modes.length * opts.connections.length * sides * (opts.runs * (opts.durationS + 35) + Math.min(2, opts.durationS) + 35) : 0) +
    (run.has('latency') ? (2 * SEQ_LIMIT_MS) / 1000 : 0) +
    (run.has('mcp') ? 60 + (2 * MCP_LIMIT_MS) / 1000 : 0) +
    (run.has('streams') ? streamLimitMs / 1000 + 10 : 0) +
    (run.has('shared-store') ? 2 * opts.runs * (opts.durationS + 35) + 120 + 90 : 0) +
    (run.has('cache') ? 2 * opts.runs * (opts.durationS + 35) + 90 : 0) +
    (run.has('telemetry') ? 5 * (Math.max(2, opts.runs) * (opts.durationS + 35) + 37) + 120 : 0) +
    (run.has('large-ledger') ? 2 * (120 + opts.ledgerRows / 5000) /* SQLite, PostgreSQL */ : 0) +
    60;
  const watchdog = setTimeout(() => {
    log(`bench: still running after ${Math.round(budgetS)} s; stopping`);
    void stopAll(2000).finally(() => process.exit(3));
  }, budgetS * 1000);

  const loadAtStart = os.loadavg()[0];
  const phases: { phase: string; load1: number }[] = [];
  const phase = (name: string) => {
    phases.push({ phase: name, load1: Number(os.loadavg()[0].toFixed(2)) });
  };
  if (loadAtStart > os.cpus().length * 0.5) {
    flags.push(`the machine was busy before the bench (load average ${loadAtStart.toFixed(2)} on ${os.cpus().length} CPUs): figures are noisy`);
  }
  const profileDir = path.join(root, 'bench', 'results', 'profiles');
  const profilesBefore = new Set(opts.profile && existsSync(profileDir) ? readdirSync(profileDir) : []);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'tollgate-bench-'));
  tmpDir = tmp;
  try {
    // The open streams are spread over several upstream ports when asked: a gateway pools its
    // upstream connections per origin (Tollgate: at most 256), and one origin would queue them.
    const upstreamPorts = run.has('streams') ? opts.streamOrigins : 1;
    log(`bench: starting the upstream${upstreamPorts > 1 ? ` on ${upstreamPorts} ports` : ''}`);
    const up = await startUpstream(fileURLToPath(new URL('./upstream.ts', import.meta.url)), [
      '--sse',
      opts.sseBurst ? 'burst' : 'split',
      '--ports',
      String(upstreamPorts),
    ]);
    const upOrigin = `http://127.0.0.1:${up.port}`;
    const chatPath = '/v1/chat/completions';
    const dripName = dripModel(opts.streamIntervalMs, opts.streamEvents);

    // Portkey first, so that its install (once) does not overlap anything measured.
    const peer: PeerInfo = { name: 'portkey', version: PORTKEY_VERSION, status: 'skipped', streaming: false };
    const portkeyDir = path.join(root, 'bench', 'results', 'peers', 'portkey');
    let portkeyReady = false;
    if (!opts.peers) peer.note = opts.directOnly ? '--direct-only' : '--no-peers';
    else if (!run.has('throughput')) peer.note = 'only measured in the throughput section';
    else {
      const inst = await ensurePortkey(portkeyDir, log);
      if (inst.ok) portkeyReady = true;
      else {
        peer.status = 'failed';
        peer.note = `install failed, Portkey skipped: ${inst.reason}`;
        log(`bench: ${peer.note}`);
      }
    }

    let gw: BenchResults['tollgate'] | null = null;
    let gwChild: ReturnType<typeof spawnGateway> | null = null;
    let configPath = '';
    if (!opts.directOnly) {
      const port = await freePort();
      const dataDir = path.join(tmp, 'data');
      await mkdir(dataDir);
      configPath = path.join(tmp, 'config.json');
      const price = { pricing: { input: 1, output: 2 } };
      const providers: Record<string, unknown> = {
        bench: { kind: 'openai-compatible', baseURL: `${upOrigin}/v1`, apiKey: UPSTREAM_API_KEY, models: { m: price, [SLOW_MODEL]: price } },
      };
      up.ports.forEach((p, i) => {
        providers[`drip${i}`] = { kind: 'openai-compatible', baseURL: `http://127.0.0.1:${p}/v1`, apiKey: UPSTREAM_API_KEY, models: { [dripName]: price } };
      });
      await writeFile(configPath, JSON.stringify({ providers, logLevel: 'warn' }, null, 2));
      if (opts.profile) await mkdir(profileDir, { recursive: true });
      log(`bench: starting Tollgate on 127.0.0.1:${port}: node ${cli.nodeArgs.join(' ')} serve … (${cli.note})`);
      gwChild = spawnGateway(
        root,
        [
          ...(opts.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
          ...cli.nodeArgs,
          'serve',
          '--port',
          String(port),
          '--host',
          '127.0.0.1',
          '--config',
          configPath,
          '--data-dir',
          dataDir,
        ],
        // TOLLGATE_WORKERS and the rest of the environment pass through as they are.
        { ...process.env },
      );
      const origin = `http://127.0.0.1:${port}`;
      const healthyAfterMs = await waitForHealth(`${origin}/health`, gwChild, 60_000);
      // The startup banner is expected; what it writes from now on is worth a look.
      gw = { pid: gwChild.child.pid ?? 0, port, healthyAfterMs, startupOutput: gwChild.output.take() };
      log(`bench: Tollgate healthy after ${healthyAfterMs} ms (pid ${gw.pid})`);
    }
    const tgOrigin = gw ? `http://127.0.0.1:${gw.port}` : '';

    // The bench names itself so that the upstream's tally of user-agents shows the gateway's.
    const directHeaders = { 'content-type': 'application/json', 'user-agent': BENCH_UA, authorization: `Bearer ${UPSTREAM_API_KEY}` };
    const tollgateHeaders: Record<string, string> = { 'content-type': 'application/json', 'user-agent': BENCH_UA };
    if (opts.gatewayKey) tollgateHeaders.authorization = `Bearer ${opts.gatewayKey}`;
    const floorHeaders = { 'content-type': 'application/json', 'user-agent': BENCH_UA };
    const pkHeaders = portkeyHeaders(upOrigin, UPSTREAM_API_KEY, BENCH_UA);

    if (gw) {
      const c = await checkGateway('Tollgate', `${tgOrigin}${chatPath}`, tollgateHeaders, (m) => `bench/${m}`);
      if (c.nonStreaming) throw new Error(c.nonStreaming);
      if (c.streaming) throw new Error(c.streaming);
      flags.push(...c.notes);
      log('bench: Tollgate answers non-streaming and streaming requests correctly');
    }

    const tgSampler = gw ? new RssSampler(gw.pid) : null;
    const idleRss = tgSampler ? tgSampler.sample() : null;

    // ---- Many open streams ------------------------------------------------------------------
    // First, on a fresh process: after the load runs V8 keeps the heap it grew to, and that
    // high-water mark (reported under load) would hide what the open streams themselves take.
    let streams: StreamsPhase | null = null;
    if (run.has('streams') && gw) {
      phase('streams');
      const fdLimits = { bench: openFileLimit('self'), tollgate: openFileLimit(gw.pid), upstream: up.child.pid ? openFileLimit(up.child.pid) : null };
      // The client side, Tollgate (client and upstream sockets) and the upstream each need a
      // descriptor per stream; say so rather than measure a run that hit EMFILE.
      const need = opts.streams * 2 + 200;
      for (const [who, limit] of Object.entries(fdLimits)) {
        if (limit !== null && limit < need) flags.push(`open-file limit of ${who} is ${limit}, below the ~${need} that ${opts.streams} streams need (ulimit -n)`);
      }
      await sleep(500);
      const sampler = new RssSampler(gw.pid, 100);
      const origins = up.ports.length;
      log(`bench: ${opts.streams} streams open at once through Tollgate (one event per ${opts.streamIntervalMs} ms × ${opts.streamEvents}, over ${origins} upstream origin${origins > 1 ? 's' : ''})`);
      const r = await openStreams({
        origin: tgOrigin,
        path: chatPath,
        headers: tollgateHeaders,
        body: (i) => chatBody(`drip${i % origins}/${dripName}`, true),
        count: opts.streams,
        sampleRss: () => sampler.sample(),
        sampleMs: 100,
        onAllOpen: async () => {
          const s = await upstreamStats(upOrigin);
          return { tollgateOpenFds: openFds(gw.pid), upstreamOpenStreams: s.dripOpen, upstreamSockets: s.connections };
        },
        timeLimitMs: streamLimitMs,
      });
      const s = await upstreamStats(upOrigin).catch(() => null);
      streams = { ...r, origins, eventIntervalMs: opts.streamIntervalMs, events: opts.streamEvents, fdLimits };
      if (s) streams.atAllOpen = { ...(r.atAllOpen ?? {}), upstreamPeakOpenStreams: s.dripPeak };
      log(
        `bench:   first bytes ${r.firstBytes}/${r.requested}, at most ${r.peakOpen} open at once, completed ${r.completed}, failed ${r.errors}; ` +
          `RSS ${((r.rssBeforeBytes ?? 0) / 1e6).toFixed(1)} MB before, peak ${(r.rssPeakBytes / 1e6).toFixed(1)} MB`,
      );
      if (r.errors) flags.push(`open streams: ${r.errors} failed; first: ${r.firstError ?? ''}`);
      if (r.allOpenAfterMs === null) {
        flags.push(`open streams: never all ${r.requested} open at once (at most ${r.peakOpen}); the RSS figure is the peak with fewer`);
      }
      if (r.truncated) flags.push('open streams: stopped at the time limit');
    }

    let portkey: RunningPortkey | null = null;
    if (portkeyReady) {
      try {
        portkey = await startPortkey(portkeyDir, await freePort());
        peer.pid = portkey.pid;
        peer.port = portkey.port;
        peer.healthyAfterMs = portkey.healthyAfterMs;
        log(`bench: Portkey ${PORTKEY_VERSION} healthy after ${portkey.healthyAfterMs} ms (pid ${portkey.pid}, 127.0.0.1:${portkey.port} only)`);
        const c = await checkGateway('Portkey', `${portkey.origin}${chatPath}`, pkHeaders, (m) => m);
        if (c.nonStreaming) {
          peer.status = 'failed';
          peer.note = `Portkey skipped: ${c.nonStreaming.slice(0, 300)}`;
          await stopChild(portkey.gw.child, 2000);
          portkey = null;
        } else {
          peer.status = 'measured';
          peer.streaming = c.streaming === null;
          if (c.streaming) {
            peer.note =
              `streaming through Portkey fails, so its streaming runs are skipped: ${c.streaming.split('\n')[0]?.slice(0, 200)} ` +
              `(the known issue in PEERS.md: TypeError: immutable, Portkey issues 1389/1550; the overrides @hono/node-server 1.13.5 and hono 4.9.7 avoid it)`;
          }
          for (const note of c.notes) log(`bench: (Portkey) ${note}`);
          log(`bench: Portkey answers non-streaming${peer.streaming ? ' and streaming' : ''} requests correctly`);
        }
        if (peer.note) log(`bench: ${peer.note}`);
      } catch (e) {
        peer.status = 'failed';
        peer.note = `Portkey did not start, skipped: ${(e as Error).message.split('\n')[0]?.slice(0, 300)}`;
        log(`bench: ${peer.note}`);
        portkey = null;
      }
    }

    if (portkey) peer.idleRssBytes = rssBytes(portkey.pid);

    // The floor: what a Node proxy that does nothing but forward reaches on this machine, so
    // that the report can tell Tollgate's cost from the cost of being a Node proxy here at all.
    const floorInfo: FloorInfo[] = opts.floorWorkers.map((workers) => ({ side: floorSide(workers), workers, status: 'skipped' }));
    const floorProcs = new Map<FloorSide, Awaited<ReturnType<typeof startUpstream>>>();
    if (!run.has('throughput')) for (const f of floorInfo) f.note = 'only measured in the throughput section';
    else {
      for (const f of floorInfo) {
        const name = `floor ×${f.workers}`;
        try {
          const p = await startUpstream(fileURLToPath(new URL('./floor-proxy.ts', import.meta.url)), ['--upstream', upOrigin, '--workers', String(f.workers)], 30_000, name);
          floorProcs.set(f.side, p);
          f.pid = p.child.pid ?? 0;
          f.port = p.port;
          const c = await checkGateway(name, `http://127.0.0.1:${p.port}${chatPath}`, floorHeaders, (m) => `bench/${m}`);
          const wrong = c.nonStreaming ?? c.streaming;
          if (wrong) throw new Error(wrong.split('\n')[0]?.slice(0, 300));
          for (const note of c.notes) flags.push(`(floor) ${note}`);
          f.status = 'measured';
          f.idleRssBytes = rssBytes(f.pid);
          log(`bench: ${name} answers correctly (pid ${f.pid}, 127.0.0.1:${f.port})`);
        } catch (e) {
          f.status = 'failed';
          f.note = `skipped: ${(e as Error).message.split('\n')[0]?.slice(0, 300)}`;
          log(`bench: ${name}: ${f.note}`);
          const p = floorProcs.get(f.side);
          if (p) await stopChild(p.child, 2000);
          floorProcs.delete(f.side);
        }
      }
    }

    // ---- Throughput -------------------------------------------------------------------------
    const cases: ThroughputCase[] = [];
    let peakUnderLoad = 0;
    if (run.has('throughput')) {
      phase('throughput');
      const pkSampler = portkey ? new RssSampler(portkey.pid) : null;
      const floorSamplers = new Map([...floorProcs].map(([side, p]) => [side, new RssSampler(p.child.pid ?? 0)]));
      tgSampler?.start();
      pkSampler?.start();
      for (const sampler of floorSamplers.values()) sampler.start();
      for (const mode of opts.modes) {
        const stream = mode === 'streaming';
        const verifyBody = stream ? isStream : isCompletion;
        const targets: Target[] = [{ name: 'direct', url: `${upOrigin}${chatPath}`, headers: directHeaders, body: chatBody('m', stream) }];
        // Tollgate's body: the floor renames the model as Tollgate does.
        for (const [side, p] of floorProcs) targets.push({ name: side, url: `http://127.0.0.1:${p.port}${chatPath}`, headers: floorHeaders, body: chatBody('bench/m', stream) });
        if (gw) targets.push({ name: 'tollgate', url: `${tgOrigin}${chatPath}`, headers: tollgateHeaders, body: chatBody('bench/m', stream) });
        if (portkey && (!stream || peer.streaming)) {
          targets.push({ name: 'portkey', url: `${portkey.origin}${chatPath}`, headers: pkHeaders, body: chatBody('m', stream) });
        }
        for (const connections of opts.connections) {
          const c: ThroughputCase = { mode, connections, runs: {}, sides: {}, peakRssBytes: {}, cpuUsPerRequest: {} };
          // A short unmeasured run first, so that no side is measured while its JIT warms
          // or while it opens its connections.
          for (const t of targets) {
            log(`bench: ${mode}, ${connections} connections: warm-up ${t.name}`);
            await runLoad(t, { connections, durationS: Math.min(2, opts.durationS), verifyBody });
          }
          let upstreamSeen = 0;
          const cpu: Partial<Record<Side, { ms: number; upstreamMs: number; loadGenMs: number; requests: number }>> = {};
          const pidOf = (side: Side): number =>
            side === 'direct' ? up.child.pid ?? 0 : side === 'tollgate' ? gw?.pid ?? 0 : side === 'portkey' ? portkey?.pid ?? 0 : floorProcs.get(side)?.child.pid ?? 0;
          for (let i = 0; i < opts.runs; i++) {
            for (const t of targets) {
              log(`bench: ${mode}, ${connections} connections: ${t.name} run ${i + 1}/${opts.runs}, ${opts.durationS} s`);
              const before = t.name === 'tollgate' ? await upstreamStats(upOrigin) : null;
              const sampler = t.name === 'tollgate' ? tgSampler : t.name === 'portkey' ? pkSampler : t.name === 'direct' ? null : floorSamplers.get(t.name);
              sampler?.takePhasePeak();
              // CPU time of the process that answers (the upstream for direct), per request:
              // unlike req/s, it hardly moves when other work shares the machine. The upstream's
              // and the load generator's too: with it, what the machine spends on a request.
              const cpuPid = pidOf(t.name);
              const cpuBefore = cpuMs(cpuPid);
              const upBefore = cpuMs(up.child.pid ?? 0);
              const lgBefore = process.cpuUsage();
              const r = await runLoad(t, { connections, durationS: opts.durationS, verifyBody });
              const lg = process.cpuUsage(lgBefore);
              const acc = (cpu[t.name] ??= { ms: 0, upstreamMs: 0, loadGenMs: 0, requests: 0 });
              acc.ms += cpuMs(cpuPid) - cpuBefore;
              acc.upstreamMs += cpuMs(up.child.pid ?? 0) - upBefore;
              acc.loadGenMs += (lg.user + lg.system) / 1000;
              acc.requests += r.total;
              const peak = sampler?.takePhasePeak();
              if (peak && t.name !== 'direct') c.peakRssBytes[t.name] = Math.max(c.peakRssBytes[t.name] ?? 0, peak);
              if (before) {
                const after = await upstreamStats(upOrigin);
                upstreamSeen += stream ? after.stream - before.stream : after.chat - before.chat;
              }
              (c.runs[t.name] ??= []).push(r);
              log(
                `bench:   ${Math.round(r.reqPerSec)} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms` +
                  (r.flagged ? `, FAILED: errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx} ${JSON.stringify(r.statusCodes)}, bad body ${r.mismatches}` : ''),
              );
            }
          }
          for (const [name, list] of Object.entries(c.runs) as [Side, LoadResult[]][]) c.sides[name] = medianLoad(list);
          c.upstreamCpuUsPerRequest = {};
          c.loadGenCpuUsPerRequest = {};
          for (const [name, v] of Object.entries(cpu) as [Side, { ms: number; upstreamMs: number; loadGenMs: number; requests: number }][]) {
            if (v.requests === 0) continue;
            c.cpuUsPerRequest[name] = (v.ms * 1000) / v.requests;
            if (name !== 'direct') c.upstreamCpuUsPerRequest[name] = (v.upstreamMs * 1000) / v.requests;
            c.loadGenCpuUsPerRequest[name] = (v.loadGenMs * 1000) / v.requests;
          }
          const d = c.sides.direct;
          const tg = c.sides.tollgate;
          const pk = c.sides.portkey;
          const label = `${mode}, ${connections} connections`;
          if (d && tg) c.ratioDirect = tg.reqPerSec / d.reqPerSec;
          if (tg && pk && pk.reqPerSec > 0) c.ratioPortkey = tg.reqPerSec / pk.reqPerSec;
          for (const side of floorProcs.keys()) {
            const fl = c.sides[side];
            if (!fl || fl.reqPerSec <= 0) continue;
            if (d) (c.floorRatioDirect ??= {})[side] = fl.reqPerSec / d.reqPerSec;
            if (tg) (c.ratioFloor ??= {})[side] = tg.reqPerSec / fl.reqPerSec;
            if (fl.flagged) flags.push(`${label}: requests through the floor proxy (${side}) failed (errors/timeouts/non-2xx/bad body ${errsOf(fl)})`);
          }
          if (tg) {
            const answered = (c.runs.tollgate ?? []).reduce((a, r) => a + r.total, 0);
            c.upstreamHits = { upstream: upstreamSeen, answered };
            // In-flight requests at the end of a run reach the upstream without being counted
            // by autocannon, so a little more is normal; less means answers that skipped it.
            if (upstreamSeen < answered * 0.99) flags.push(`${label}: the upstream saw ${upstreamSeen} requests for ${answered} answered through Tollgate (a cache?)`);
            else if (upstreamSeen > answered + connections * 2 * opts.runs) flags.push(`${label}: the upstream saw ${upstreamSeen} requests for ${answered} answered through Tollgate (retries?)`);
            if (tg.flagged) flags.push(`${label}: requests through Tollgate failed; its figures are not comparable`);
          }
          if (pk?.flagged) flags.push(`${label}: requests through Portkey failed (errors/timeouts/non-2xx/bad body ${errsOf(pk)})`);
          if (d?.flagged) flags.push(`${label}: direct requests failed: the bench machine is struggling`);
          peakUnderLoad = Math.max(peakUnderLoad, c.peakRssBytes.tollgate ?? 0);
          cases.push(c);
        }
      }
      tgSampler?.stop();
      pkSampler?.stop();
      for (const sampler of floorSamplers.values()) sampler.stop();
      if (gw && rssBytes(gw.pid) === 0) throw new Error(`Tollgate (pid ${gw.pid}) is gone\n${gwChild?.output}`);
    }
    // Portkey is only in the throughput section: stop it so it takes nothing from the rest.
    if (portkey) {
      await stopChild(portkey.gw.child, 3000);
      const out = portkey.gw.output.toString();
      if (/error|exception/i.test(out)) flags.push(`Portkey wrote errors: ${out.trim().split('\n').filter((l) => /error|exception/i.test(l))[0]?.slice(0, 200) ?? ''}`);
      portkey = null;
    }

    for (const p of floorProcs.values()) await stopChild(p.child, 3000);
    floorProcs.clear();

    // ---- One at a time ----------------------------------------------------------------------
    let seqOut: BenchResults['sequential'] = null;
    let ttfbOut: BenchResults['ttfb'] = null;
    if (run.has('latency') && gw) {
      phase('latency');
      let floor: Awaited<ReturnType<typeof startUpstream>> | null = null;
      if (opts.floorWorkers.length) {
        try {
          floor = await startUpstream(fileURLToPath(new URL('./floor-proxy.ts', import.meta.url)), ['--upstream', upOrigin, '--workers', '1'], 30_000, 'floor ×1');
        } catch (e) {
          flags.push(`one at a time: the floor proxy did not start: ${(e as Error).message.split('\n')[0]?.slice(0, 200)}`);
        }
      }
      const seqTargets = (stream: boolean): SeqTarget[] => [
        { name: 'direct', origin: upOrigin, path: chatPath, headers: directHeaders, body: chatBody('m', stream) },
        { name: 'tollgate', origin: tgOrigin, path: chatPath, headers: tollgateHeaders, body: chatBody('bench/m', stream) },
        ...(floor ? [{ name: 'floor', origin: `http://127.0.0.1:${floor.port}`, path: chatPath, headers: floorHeaders, body: chatBody('bench/m', stream) }] : []),
      ];
      // Let the sockets of the load runs close and the collectors catch up before timing singles.
      await sleep(1000);
      log(`bench: one at a time, non-streaming: ${opts.warmup} warm-up + ${opts.requests} per side`);
      const seq = await runSequential(seqTargets(false), { warmup: opts.warmup, requests: opts.requests, timeLimitMs: SEQ_LIMIT_MS, check: isCompletion });
      log(`bench: one at a time, streaming (first byte): ${opts.warmup} warm-up + ${opts.requests} per side`);
      const ttfb = await runSequential(seqTargets(true), { warmup: opts.warmup, requests: opts.requests, timeLimitMs: SEQ_LIMIT_MS, check: isStream });
      for (const [name, s] of [['one at a time', seq], ['first byte', ttfb]] as const) {
        if (s.truncated) flags.push(`${name}: stopped early after ${s.measured} requests`);
        for (const [side, v] of Object.entries(s.sides)) if (v.errors) flags.push(`${name}, ${side}: ${v.errors} failed requests; first: ${v.firstError ?? ''}`);
      }
      if (floor) await stopChild(floor.child, 3000);
      seqOut = { ...seq, addedUs: added(seq, 'total'), ...(floor ? { floorAddedUs: added(seq, 'total', 'floor') } : {}) };
      ttfbOut = { ...ttfb, addedUs: added(ttfb, 'firstByte'), ...(floor ? { floorAddedUs: added(ttfb, 'firstByte', 'floor') } : {}) };
    }

    // ---- MCP --------------------------------------------------------------------------------
    const mcp: BenchResults['mcp'] = { stdio: null, http: null, chatHttp: null, errors: [] };
    if (run.has('mcp') && gw) {
      phase('mcp');
      const callOpts = { warmup: opts.mcpWarmup, calls: opts.mcpCalls, timeLimitMs: MCP_LIMIT_MS, tool: 'chat', args: { prompt: 'hi', model: 'mock/echo' } };
      const mcpData = path.join(tmp, 'data-mcp');
      await mkdir(mcpData);
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (typeof v === 'string') env[k] = v;
      log(`bench: MCP over stdio (node ${cli.nodeArgs.join(' ')} mcp): ${opts.mcpWarmup} warm-up + ${opts.mcpCalls} tools/call chat`);
      try {
        const r = await benchMcpStdio(
          { command: process.execPath, args: [...cli.nodeArgs, 'mcp', '--config', configPath, '--data-dir', mcpData], cwd: root, env },
          callOpts,
        );
        const { stderrTail, ...rest } = r;
        mcp.stdio = rest;
        if (r.errors) flags.push(`MCP stdio: ${r.errors} failed calls; first: ${r.firstError ?? ''}${stderrTail ? `; stderr: ${stderrTail.slice(-300)}` : ''}`);
        log(`bench:   ${Math.round(r.callsPerSec)} calls/s, p50 ${(r.latencyUs.p50 / 1000).toFixed(2)} ms, p99 ${(r.latencyUs.p99 / 1000).toFixed(2)} ms`);
      } catch (e) {
        mcp.errors.push(`MCP over stdio failed: ${(e as Error).message}`);
        log(`bench: ${mcp.errors.at(-1)}`);
      }
      log(`bench: MCP over Streamable HTTP (${tgOrigin}/mcp) and the same chat on ${chatPath}, blocks alternating: ${opts.mcpWarmup} warm-up + ${opts.mcpCalls} each`);
      try {
        const headers: Record<string, string> = { 'user-agent': BENCH_UA };
        if (opts.gatewayKey) headers.authorization = `Bearer ${opts.gatewayKey}`;
        const chatRequest = JSON.stringify({ model: callOpts.args.model, messages: [{ role: 'user', content: callOpts.args.prompt }] });
        const { mcp: r, alongside } = await benchMcpHttp(`${tgOrigin}/mcp`, headers, callOpts, gw.pid, chatHttpCaller(`${tgOrigin}${chatPath}`, tollgateHeaders, chatRequest));
        mcp.http = r;
        mcp.chatHttp = alongside;
        if (r.errors) flags.push(`MCP Streamable HTTP: ${r.errors} failed calls; first: ${r.firstError ?? ''}`);
        if (alongside.errors) flags.push(`chat on the HTTP API (MCP comparison): ${alongside.errors} failed requests; first: ${alongside.firstError ?? ''}`);
        log(`bench:   ${Math.round(r.callsPerSec)} calls/s, p50 ${(r.latencyUs.p50 / 1000).toFixed(2)} ms, p99 ${(r.latencyUs.p99 / 1000).toFixed(2)} ms`);
      } catch (e) {
        mcp.errors.push(`MCP over Streamable HTTP failed: ${(e as Error).message}`);
        log(`bench: ${mcp.errors.at(-1)}`);
      }
    }

    // What each section that starts its own Tollgates is given.
    const gatewaySection = {
      root,
      nodeArgs: cli.nodeArgs,
      tmp,
      upOrigin,
      upstreamApiKey: UPSTREAM_API_KEY,
      check: isCompletion,
      connections: opts.connections[0] ?? 50,
      durationS: opts.durationS,
      runs: opts.runs,
      freePort,
      log,
    };

    // ---- Shared store -----------------------------------------------------------------------
    let sharedStore: SharedStoreResult | null = null;
    if (run.has('shared-store') && !opts.directOnly) {
      phase('shared-store');
      sharedStore = await benchSharedStore({
        ...gatewaySection,
        chatBody: chatBody('bench/m', false),
        warmup: opts.warmup,
        requests: Math.min(opts.requests, 1000),
      });
      if (sharedStore.status !== 'ran') flags.push(`shared store: ${sharedStore.status}${sharedStore.note ? ` (${sharedStore.note})` : ''}`);
    }

    // ---- Response cache ---------------------------------------------------------------------
    let cache: CacheBenchResult | null = null;
    if (run.has('cache') && !opts.directOnly) {
      phase('cache');
      cache = await benchCache({ ...gatewaySection, chatBody: chatBody('bench/m', false) });
      if (cache.status !== 'ran' || cache.note) flags.push(`cache: ${cache.status}${cache.note ? ` (${cache.note})` : ''}`);
    }

    // ---- Telemetry --------------------------------------------------------------------------
    let telemetry: TelemetryResult | null = null;
    if (run.has('telemetry') && !opts.directOnly) {
      phase('telemetry');
      // Two runs at least: the sides alternate their order from one run to the next.
      telemetry = await benchTelemetry({
        ...gatewaySection,
        floorScript: fileURLToPath(new URL('./floor-proxy.ts', import.meta.url)),
        chatBody: (model) => chatBody(model, false),
        runs: Math.max(2, opts.runs),
      });
      if (telemetry.status !== 'ran') flags.push(`telemetry: ${telemetry.status}${telemetry.note ? ` (${telemetry.note})` : ''}`);
    }

    // ---- Large ledger -----------------------------------------------------------------------
    let largeLedger: LargeLedgerResult | null = null;
    if (run.has('large-ledger') && !opts.directOnly) {
      phase('large-ledger');
      largeLedger = await benchLargeLedger({ root, nodeArgs: cli.nodeArgs, tmp, rows: opts.ledgerRows, freePort, log });
      if (largeLedger.status !== 'ran') flags.push(`large ledger: ${largeLedger.status}${largeLedger.note ? ` (${largeLedger.note})` : ''}`);
    }

    const upStats = await upstreamStats(upOrigin);
    if (upStats.rejected > 0) flags.push(`the upstream rejected ${upStats.rejected} requests (wrong key or body)`);
    const loadAtEnd = os.loadavg()[0];
    if (gwChild && gwChild.output.toString().trim() !== '') {
      flags.push(`Tollgate wrote to stdout/stderr during the run (tail in the JSON, tollgateOutputTail): ${gwChild.output.toString().trim().split('\n')[0]?.slice(0, 200) ?? ''}`);
    }

    // ---- Checks -----------------------------------------------------------------------------
    const checks: Check[] = [];
    const check = (name: string, unit: string, value: number | null | undefined, target: string, ok: (v: number) => boolean, erred: boolean) => {
      const v = value === undefined || value === null || Number.isNaN(value) ? null : value;
      checks.push({ name, unit, value: v, target, result: v === null ? 'n/a' : erred ? 'ERR' : ok(v) ? 'PASS' : 'MISS' });
    };
    for (const c of cases) {
      const tgErr = !!c.sides.tollgate?.flagged;
      check(throughputCheckName(c.mode, c.connections, 'direct'), 'ratio', c.ratioDirect, `≥ ${TARGETS.throughputRatio}×`, (v) => v >= TARGETS.throughputRatio, tgErr);
      if (peer.status === 'measured') {
        check(throughputCheckName(c.mode, c.connections, 'portkey'), 'ratio', c.ratioPortkey, `≥ ${TARGETS.portkeyRatio}×`, (v) => v >= TARGETS.portkeyRatio, tgErr);
      }
    }
    if (seqOut && ttfbOut) {
      const seqErr = (seqOut.sides.tollgate?.errors ?? 0) > 0;
      const ttfbErr = (ttfbOut.sides.tollgate?.errors ?? 0) > 0;
      check('added latency p50', 'µs', seqOut.addedUs?.p50, `≤ ${TARGETS.addedP50Us}`, (v) => v <= TARGETS.addedP50Us, seqErr);
      check('added latency p99', 'µs', seqOut.addedUs?.p99, `≤ ${TARGETS.addedP99Us}`, (v) => v <= TARGETS.addedP99Us, seqErr);
      check('added TTFB p50', 'µs', ttfbOut.addedUs?.p50, `≤ ${TARGETS.addedTtfbP50Us}`, (v) => v <= TARGETS.addedTtfbP50Us, ttfbErr);
    }
    if (streams) {
      const v = (streams.rssPeakAllOpenBytes ?? streams.rssPeakBytes) / 1e6;
      check('RSS at 1,000 open streams', 'MB', v, `≤ ${TARGETS.streamsRssMB} MB`, (x) => x <= TARGETS.streamsRssMB, streams.rssPeakAllOpenBytes === null || streams.requested < 1000);
    }

    const cpus = os.cpus();
    const results: BenchResults & { tollgateOutputTail?: string } = {
      schema: 2,
      startedAt,
      finishedAt: new Date().toISOString(),
      environment: {
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        cpus: cpus.length,
        cpuModel: cpus[0]?.model.trim() ?? 'unknown',
        memTotalBytes: os.totalmem(),
        gitCommit: gitCommit(),
        tollgateWorkersEnv: process.env.TOLLGATE_WORKERS ?? null,
      },
      options: {
        durationS: opts.durationS,
        connections: opts.connections,
        runs: opts.runs,
        warmup: opts.warmup,
        requests: opts.requests,
        mcpCalls: opts.mcpCalls,
        mcpWarmup: opts.mcpWarmup,
        streams: opts.streams,
        quick: opts.quick,
        only: [...run],
        modes: opts.modes,
        peers: opts.peers,
        floorWorkers: opts.floorWorkers,
        cli: cli.cli,
        cliNote: cli.note,
        sse: opts.sseBurst ? 'burst' : 'split',
      },
      tollgate: gw ?? { pid: 0, port: 0, healthyAfterMs: 0, startupOutput: '' },
      peers: [peer],
      floor: floorInfo,
      upstream: { ports: up.ports, userAgents: upStats.userAgents },
      loadAverage: { start: loadAtStart, end: loadAtEnd, phases },
      throughput: cases,
      memory: { idleRssBytes: idleRss, peakRssUnderLoadBytes: peakUnderLoad || null, processes: tgSampler ? tgSampler.peakProcesses : null },
      sequential: seqOut,
      ttfb: ttfbOut,
      mcp,
      streams,
      checks,
      flags,
      durationS: (Date.now() - t0) / 1000,
      ...(gwChild && gwChild.output.toString().trim() !== '' ? { tollgateOutputTail: gwChild.output.toString().slice(-4000) } : {}),
    };
    const outDir = path.join(root, 'bench', 'results');
    await mkdir(outDir, { recursive: true });
    const outFile = path.join(outDir, 'latest.json');
    await writeFile(outFile, `${JSON.stringify({ ...results, sharedStore, cache, telemetry, largeLedger }, null, 2)}\n`);

    process.stdout.write(`\n${render(results)}\n${sharedStore ? renderSharedStore(sharedStore) : ''}${cache ? renderCache(cache) : ''}${telemetry ? renderTelemetry(telemetry) : ''}${largeLedger ? renderLargeLedger(largeLedger) : ''}Results: ${path.relative(process.cwd(), outFile)}\n`);
    if (opts.profile) {
      // The profile is written when Tollgate exits cleanly, so stop it gently and wait.
      await stopAll(8000);
      const fresh = existsSync(profileDir) ? readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile') && !profilesBefore.has(f)) : [];
      if (fresh.length === 0) {
        log('bench: Tollgate wrote no CPU profile (did it exit on SIGTERM?)');
      } else {
        // One file per thread: the main one is the busiest; the others (tsx's loader) get a line.
        const summaries = fresh.map((f) => summariseProfile(path.join(profileDir, f))).sort((a, b) => b.busyMs - a.busyMs);
        for (const [i, summary] of summaries.entries()) {
          const rel = path.relative(process.cwd(), summary.file);
          await writeFile(`${summary.file}.summary.json`, `${JSON.stringify(summary, null, 2)}\n`);
          if (i === 0) process.stdout.write(`\n${renderProfile({ ...summary, file: rel })}\n`);
          else process.stdout.write(`(another thread: busy ${(summary.busyMs / 1000).toFixed(1)} s, ${rel})\n`);
        }
      }
    }
    return 0;
  } finally {
    clearTimeout(watchdog);
    await stopAll();
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}

function errsOf(m: MedianLoad): string {
  return `${m.errors}/${m.timeouts}/${m.non2xx}/${m.mismatches}`;
}

/** Removed on the way out whichever way that is. */
let tmpDir: string | undefined;
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log(`bench: ${sig}, stopping`);
    void stopAll(2000).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}
process.on('exit', () => {
  killAllNow();
  if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
});

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`bench: failed: ${e instanceof Error ? e.message : String(e)}`);
    void stopAll(2000).finally(() => process.exit(1));
  },
);
