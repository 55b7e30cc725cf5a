// `npm run bench`: throughput and added latency, direct to a loopback upstream and through
// Tollgate, in one run. Prints a table with the targets and writes bench/results/latest.json.
//
//   npm run bench -- [--quick] [--duration S] [--connections N] [--runs N]
//                    [--requests N] [--warmup N] [--direct-only]
//
// Exits 0 when the bench ran, whatever the figures (it is a report); non-zero only when
// something failed to run.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { runLoad, type LoadResult, type Target } from './lib/load.js';
import { renderProfile, summariseProfile } from './lib/profile.js';
import {
  killAllNow,
  repoPath,
  RssSampler,
  rssBytes,
  spawnGateway,
  startUpstream,
  stopAll,
  waitForHealth,
} from './lib/procs.js';
import {
  render,
  TARGETS,
  type Added,
  type BenchResults,
  type Check,
  type MedianLoad,
  type ThroughputMode,
} from './lib/report.js';
import { runSequential, type SeqResult, type SeqTarget } from './lib/sequential.js';
import { median } from './lib/stats.js';
import { CONTENT_DELTAS, FULL_CONTENT, SLOW_MODEL, SLOW_PAUSE_MS, UPSTREAM_API_KEY } from './upstream.js';

const HELP = `Usage: npm run bench -- [options]

  --duration S      seconds per autocannon run (default 10; --quick: 2)
  --connections N   concurrent connections (default 50)
  --runs N          autocannon runs per case; the median is reported (default 1)
  --requests N      one-at-a-time requests per side (default 2000; --quick: 300)
  --warmup N        one-at-a-time warm-up requests per side (default 300; --quick: 100)
  --quick           short runs, for a smoke check
  --direct-only     bench the upstream alone (no Tollgate)
  --gateway-key K   bearer token to send to Tollgate (default: none; or TOLLGATE_BENCH_KEY)
  --sse-burst       the upstream writes all SSE events at once (default: one per event-loop turn)
  --profile         run Tollgate with --cpu-prof; profile in bench/results/profiles, summary printed
  --cli PATH        the Tollgate entry to run (default src/cli.ts), e.g. dist/cli.js
  -h, --help
`;

interface Options {
  durationS: number;
  connections: number;
  runs: number;
  requests: number;
  warmup: number;
  quick: boolean;
  directOnly: boolean;
  gatewayKey: string | undefined;
  cli: string;
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
      quick: { type: 'boolean', default: false },
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
  const int = (v: string | undefined, name: string, def: number, min: number, max: number): number => {
    if (v === undefined) return def;
    const x = Number(v);
    if (!Number.isFinite(x) || x < min || x > max) throw new Error(`--${name} must be a number from ${min} to ${max}`);
    return name === 'duration' ? x : Math.round(x);
  };
  const quick = values.quick;
  return {
    durationS: int(values.duration, 'duration', quick ? 2 : 10, 1, 300),
    connections: int(values.connections, 'connections', 50, 1, 1000),
    runs: int(values.runs, 'runs', 1, 1, 9),
    requests: int(values.requests, 'requests', quick ? 300 : 2000, 10, 100_000),
    warmup: int(values.warmup, 'warmup', quick ? 100 : 300, 0, 10_000),
    quick,
    directOnly: values['direct-only'],
    gatewayKey: values['gateway-key'] ?? process.env.TOLLGATE_BENCH_KEY,
    cli: values.cli ?? 'src/cli.ts',
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

/**
 * One request of each kind through the gateway before load, so that a gateway that answers
 * wrongly fails here with its own words rather than as a fast error rate.
 */
async function sanityCheck(url: string, headers: Record<string, string>, model: string, flags: string[]): Promise<void> {
  const one = await request(url, { method: 'POST', headers, body: chatBody(model, false), headersTimeout: 15_000, bodyTimeout: 15_000 });
  const text = await one.body.text();
  if (one.statusCode !== 200) throw new Error(`non-streaming request through Tollgate: HTTP ${one.statusCode}: ${text.slice(0, 800)}`);
  let parsed: { choices?: { message?: { content?: unknown } }[]; usage?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new Error(`non-streaming request through Tollgate: body is not JSON: ${text.slice(0, 800)}`);
  }
  if (parsed.choices?.[0]?.message?.content !== FULL_CONTENT) {
    throw new Error(`non-streaming request through Tollgate: unexpected content: ${text.slice(0, 800)}`);
  }
  if (!parsed.usage) flags.push('non-streaming response through Tollgate has no usage');

  const s = await request(url, { method: 'POST', headers, body: chatBody(model, true), headersTimeout: 15_000, bodyTimeout: 15_000 });
  const stext = await s.body.text();
  if (s.statusCode !== 200) throw new Error(`streaming request through Tollgate: HTTP ${s.statusCode}: ${stext.slice(0, 800)}`);
  const ctype = String(s.headers['content-type'] ?? '');
  if (!ctype.startsWith('text/event-stream')) flags.push(`streaming response through Tollgate has content-type "${ctype}"`);
  let parsedStream: { events: unknown[]; done: boolean };
  try {
    parsedStream = sseEvents(stext);
  } catch {
    throw new Error(`streaming request through Tollgate: an SSE event is not JSON: ${stext.slice(0, 800)}`);
  }
  type Chunk = { choices?: { delta?: { content?: unknown } }[]; usage?: unknown };
  const chunks = parsedStream.events as Chunk[];
  const content = chunks.map((c) => c.choices?.[0]?.delta?.content).filter((c) => typeof c === 'string').join('');
  if (content !== FULL_CONTENT) throw new Error(`streaming request through Tollgate: content "${content}" != "${FULL_CONTENT}"\n${stext.slice(0, 800)}`);
  if (!parsedStream.done) throw new Error(`streaming request through Tollgate: no "data: [DONE]"\n${stext.slice(-400)}`);
  if (!chunks.some((c) => c.usage)) flags.push('streaming response through Tollgate has no usage chunk (stream_options.include_usage)');
  // A gateway that holds the stream back until it ends would make the first-byte figures
  // meaningless on a fast upstream: ask for a stream that pauses after its first word.
  const slowStart = process.hrtime.bigint();
  const slow = await request(url, { method: 'POST', headers, body: chatBody(`bench/${SLOW_MODEL}`, true), headersTimeout: 15_000, bodyTimeout: 15_000 });
  let firstWordMs = -1;
  let slowText = '';
  for await (const c of slow.body) {
    slowText += (c as Buffer).toString();
    if (firstWordMs < 0 && slowText.includes(CONTENT_DELTAS[0])) firstWordMs = Number(process.hrtime.bigint() - slowStart) / 1e6;
  }
  const slowTotalMs = Number(process.hrtime.bigint() - slowStart) / 1e6;
  if (slow.statusCode !== 200) {
    flags.push(`streaming the pausing model through Tollgate: HTTP ${slow.statusCode}: ${slowText.slice(0, 300)}`);
  } else if (firstWordMs < 0 || firstWordMs >= SLOW_PAUSE_MS * 0.75) {
    flags.push(
      `Tollgate held back the stream: the upstream's first word came at once and the rest ${SLOW_PAUSE_MS} ms later, ` +
        `but the client saw the first word after ${firstWordMs < 0 ? 'never' : `${firstWordMs.toFixed(1)} ms`} (whole stream ${slowTotalMs.toFixed(1)} ms)`,
    );
  }
  const contentEvents = chunks.filter((c) => typeof c.choices?.[0]?.delta?.content === 'string' && c.choices[0].delta.content !== '').length;
  if (contentEvents !== CONTENT_DELTAS.length) {
    flags.push(`streaming through Tollgate: ${contentEvents} content events, the upstream sent ${CONTENT_DELTAS.length}`);
  }
}

interface UpstreamStats {
  chat: number;
  stream: number;
  rejected: number;
  userAgents: Record<string, number>;
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

function added(s: SeqResult, pick: 'total' | 'firstByte'): Added | null {
  const d = s.sides.direct?.[pick];
  const t = s.sides.through?.[pick];
  if (!d || !t || d.count === 0 || t.count === 0) return null;
  return { p50: t.p50 - d.p50, p90: t.p90 - d.p90, p99: t.p99 - d.p99 };
}

async function main(): Promise<number> {
  const opts = parseOptions();
  const startedAt = new Date().toISOString();
  const flags: string[] = [];
  const root = repoPath();
  const cli = path.resolve(root, opts.cli);
  if (!opts.directOnly && !existsSync(cli)) {
    log(`bench: ${path.relative(process.cwd(), cli) || cli} does not exist yet; use --direct-only to bench the upstream alone`);
    return 2;
  }

  // Everything the phases can take, plus room to start up: past this, something is wedged.
  const SEQ_LIMIT_MS = 120_000;
  const budgetS =
    60 /* health */ + 60 /* startup, sanity, stats */ + 2 * 2 * (opts.runs * (opts.durationS + 5) + Math.min(2, opts.durationS) + 5) + (2 * SEQ_LIMIT_MS) / 1000 + 60;
  const watchdog = setTimeout(() => {
    log(`bench: still running after ${Math.round(budgetS)} s; stopping`);
    void stopAll(2000).finally(() => process.exit(3));
  }, budgetS * 1000);

  const loadAtStart = os.loadavg()[0];
  if (loadAtStart > os.cpus().length * 0.5) {
    flags.push(`the machine was busy before the bench (load average ${loadAtStart.toFixed(2)} on ${os.cpus().length} CPUs): figures are noisy`);
  }
  const profileDir = path.join(root, 'bench', 'results', 'profiles');
  const profilesBefore = new Set(opts.profile && existsSync(profileDir) ? readdirSync(profileDir) : []);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'tollgate-bench-'));
  tmpDir = tmp;
  try {
    log('bench: starting the upstream');
    const up = await startUpstream(path.join(root, 'bench', 'upstream.ts'), ['--sse', opts.sseBurst ? 'burst' : 'split']);
    const upOrigin = `http://127.0.0.1:${up.port}`;

    let gw: { pid: number; port: number; healthyAfterMs: number; origin: string; startupOutput: string } | null = null;
    let gwChild: ReturnType<typeof spawnGateway> | null = null;
    if (!opts.directOnly) {
      const port = await freePort();
      const dataDir = path.join(tmp, 'data');
      await mkdir(dataDir);
      const configPath = path.join(tmp, 'config.json');
      const config = {
        providers: {
          bench: {
            kind: 'openai-compatible',
            baseURL: `${upOrigin}/v1`,
            apiKey: UPSTREAM_API_KEY,
            models: { m: { pricing: { input: 1, output: 2 } }, [SLOW_MODEL]: { pricing: { input: 1, output: 2 } } },
          },
        },
        logLevel: 'warn',
      };
      await writeFile(configPath, JSON.stringify(config, null, 2));
      if (opts.profile) await mkdir(profileDir, { recursive: true });
      const rel = path.relative(root, cli);
      const cliArg = rel.startsWith('..') || path.isAbsolute(rel) ? cli : rel;
      log(`bench: starting Tollgate on 127.0.0.1:${port}: node --import tsx ${cliArg} serve …`);
      gwChild = spawnGateway(
        root,
        [...(opts.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), '--import', 'tsx', cliArg, 'serve', '--port', String(port), '--host', '127.0.0.1', '--config', configPath, '--data-dir', dataDir],
        // TOLLGATE_WORKERS and the rest of the environment pass through as they are.
        { ...process.env },
      );
      const origin = `http://127.0.0.1:${port}`;
      const healthyAfterMs = await waitForHealth(`${origin}/health`, gwChild, 60_000);
      // The startup banner is expected; what it writes from now on is worth a look.
      gw = { pid: gwChild.child.pid ?? 0, port, healthyAfterMs, origin, startupOutput: gwChild.output.take() };
      log(`bench: Tollgate healthy after ${healthyAfterMs} ms (pid ${gw.pid})`);
    }

    // The bench names itself so that the upstream's tally of user-agents shows the gateway's.
    const directHeaders = { 'content-type': 'application/json', 'user-agent': BENCH_UA, authorization: `Bearer ${UPSTREAM_API_KEY}` };
    const throughHeaders: Record<string, string> = { 'content-type': 'application/json', 'user-agent': BENCH_UA };
    if (opts.gatewayKey) throughHeaders.authorization = `Bearer ${opts.gatewayKey}`;
    const chatPath = '/v1/chat/completions';

    if (gw) {
      await sanityCheck(`${gw.origin}${chatPath}`, throughHeaders, 'bench/m', flags);
      log('bench: Tollgate answers non-streaming and streaming requests correctly');
    }

    const sampler = gw ? new RssSampler(gw.pid) : null;
    const idleRss = sampler ? sampler.sample() : null;
    sampler?.takePhasePeak();

    const targets = (stream: boolean): Target[] => {
      const t: Target[] = [{ name: 'direct', url: `${upOrigin}${chatPath}`, headers: directHeaders, body: chatBody('m', stream) }];
      if (gw) t.push({ name: 'through', url: `${gw.origin}${chatPath}`, headers: throughHeaders, body: chatBody('bench/m', stream) });
      return t;
    };

    const throughput = async (stream: boolean): Promise<ThroughputMode> => {
      const label = stream ? 'streaming' : 'non-streaming';
      const verifyBody = stream ? isStream : isCompletion;
      const ts = targets(stream);
      // A short unmeasured run first, so that neither side is measured while its JIT warms.
      for (const t of ts) {
        log(`bench: ${label} warm-up ${t.name}`);
        await runLoad(t, { connections: opts.connections, durationS: Math.min(2, opts.durationS), verifyBody });
      }
      const runs: { direct: LoadResult[]; through: LoadResult[] } = { direct: [], through: [] };
      let upstreamSeen = 0;
      for (let i = 0; i < opts.runs; i++) {
        for (const t of ts) {
          log(`bench: ${label} ${t.name} run ${i + 1}/${opts.runs}, ${opts.durationS} s`);
          const before = t.name === 'through' ? await upstreamStats(upOrigin) : null;
          const r = await runLoad(t, { connections: opts.connections, durationS: opts.durationS, verifyBody });
          if (before) {
            const after = await upstreamStats(upOrigin);
            upstreamSeen += stream ? after.stream - before.stream : after.chat - before.chat;
          }
          runs[t.name].push(r);
          log(
            `bench:   ${Math.round(r.reqPerSec)} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms` +
              (r.flagged ? `, ERRORS: errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx} ${JSON.stringify(r.statusCodes)}, bad body ${r.mismatches}` : ''),
          );
        }
      }
      const mode: ThroughputMode = { runs, direct: medianLoad(runs.direct) };
      if (runs.through.length) {
        mode.through = medianLoad(runs.through);
        mode.ratio = mode.through.reqPerSec / mode.direct.reqPerSec;
        const answered = runs.through.reduce((a, r) => a + r.total, 0);
        mode.upstreamHits = { upstream: upstreamSeen, answered };
        // In-flight requests at the end of a run reach the upstream without being counted
        // by autocannon, so a little more is normal; less means answers that skipped it.
        if (upstreamSeen < answered * 0.99) {
          flags.push(`${label}: the upstream saw ${upstreamSeen} requests for ${answered} answered through Tollgate (a cache?)`);
        } else if (upstreamSeen > answered + opts.connections * 2 * opts.runs) {
          flags.push(`${label}: the upstream saw ${upstreamSeen} requests for ${answered} answered through Tollgate (retries?)`);
        }
        if (mode.through.flagged) flags.push(`${label} through Tollgate had failed requests; its figures are not comparable`);
      }
      if (mode.direct.flagged) flags.push(`${label} direct had failed requests: the bench machine is struggling`);
      return mode;
    };

    sampler?.start();
    const nonStreaming = await throughput(false);
    const peakNon = sampler ? sampler.takePhasePeak() : null;
    const streaming = await throughput(true);
    const peakStream = sampler ? sampler.takePhasePeak() : null;
    sampler?.stop();
    if (sampler && gw && rssBytes(gw.pid) === 0) throw new Error(`Tollgate (pid ${gw.pid}) is gone\n${gwChild?.output}`);

    const seqTargets = (stream: boolean): SeqTarget[] => {
      const t: SeqTarget[] = [{ name: 'direct', origin: upOrigin, path: chatPath, headers: directHeaders, body: chatBody('m', stream) }];
      if (gw) t.push({ name: 'through', origin: gw.origin, path: chatPath, headers: throughHeaders, body: chatBody('bench/m', stream) });
      return t;
    };
    // Let the sockets of the load runs close and the collectors catch up before timing singles.
    await new Promise((r) => setTimeout(r, 1000));
    log(`bench: one at a time, non-streaming: ${opts.warmup} warm-up + ${opts.requests} per side`);
    const seq = await runSequential(seqTargets(false), { warmup: opts.warmup, requests: opts.requests, timeLimitMs: SEQ_LIMIT_MS, check: isCompletion });
    log(`bench: one at a time, streaming (first byte): ${opts.warmup} warm-up + ${opts.requests} per side`);
    const ttfb = await runSequential(seqTargets(true), { warmup: opts.warmup, requests: opts.requests, timeLimitMs: SEQ_LIMIT_MS, check: isStream });
    for (const [name, s] of [['one at a time', seq], ['first byte', ttfb]] as const) {
      if (s.truncated) flags.push(`${name}: stopped early after ${s.measured} requests`);
      for (const [side, v] of Object.entries(s.sides)) {
        if (v.errors) flags.push(`${name}, ${side}: ${v.errors} failed requests; first: ${v.firstError ?? ''}`);
      }
    }

    const seqAdded = added(seq, 'total');
    const ttfbAdded = added(ttfb, 'firstByte');
    const checks: Check[] = [];
    const check = (name: string, unit: string, value: number | null | undefined, target: string, ok: (v: number) => boolean, erred: boolean) => {
      const v = value === undefined || value === null || Number.isNaN(value) ? null : value;
      checks.push({ name, unit, value: v, target, result: v === null ? 'n/a' : erred ? 'ERR' : ok(v) ? 'PASS' : 'MISS' });
    };
    const r = TARGETS.throughputRatio;
    check('throughput non-streaming', 'ratio', nonStreaming.ratio, `≥ ${r.toFixed(2)}×`, (v) => v >= r, !!nonStreaming.through?.flagged);
    check('throughput streaming', 'ratio', streaming.ratio, `≥ ${r.toFixed(2)}×`, (v) => v >= r, !!streaming.through?.flagged);
    const seqErr = (seq.sides.through?.errors ?? 0) > 0;
    const ttfbErr = (ttfb.sides.through?.errors ?? 0) > 0;
    check('added latency p50', 'µs', seqAdded?.p50, `≤ ${TARGETS.addedP50Us}`, (v) => v <= TARGETS.addedP50Us, seqErr);
    check('added latency p99', 'µs', seqAdded?.p99, `≤ ${TARGETS.addedP99Us}`, (v) => v <= TARGETS.addedP99Us, seqErr);
    check('added TTFB p50', 'µs', ttfbAdded?.p50, `≤ ${TARGETS.addedTtfbP50Us}`, (v) => v <= TARGETS.addedTtfbP50Us, ttfbErr);

    const upStats = await upstreamStats(upOrigin);
    if (upStats.rejected > 0) flags.push(`the upstream rejected ${upStats.rejected} requests (wrong key or body)`);
    const loadAtEnd = os.loadavg()[0];
    if (gwChild && gwChild.output.toString().trim() !== '') {
      flags.push(`Tollgate wrote to stdout/stderr during the run (tail in the JSON, tollgateOutputTail): ${gwChild.output.toString().trim().split('\n')[0]?.slice(0, 200) ?? ''}`);
    }

    const cpus = os.cpus();
    const results: BenchResults & { tollgateOutputTail?: string } = {
      schema: 1,
      startedAt,
      finishedAt: new Date().toISOString(),
      environment: {
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        cpus: cpus.length,
        cpuModel: cpus[0]?.model.trim() ?? 'unknown',
        gitCommit: gitCommit(),
        tollgateWorkersEnv: process.env.TOLLGATE_WORKERS ?? null,
      },
      options: {
        durationS: opts.durationS,
        connections: opts.connections,
        runs: opts.runs,
        warmup: opts.warmup,
        requests: opts.requests,
        quick: opts.quick,
        directOnly: opts.directOnly,
        cli: opts.cli,
        sse: opts.sseBurst ? 'burst' : 'split',
      },
      tollgate: gw ? { pid: gw.pid, port: gw.port, healthyAfterMs: gw.healthyAfterMs, startupOutput: gw.startupOutput.slice(-4000) } : null,
      upstream: { port: up.port, userAgents: upStats.userAgents },
      loadAverage: { start: loadAtStart, end: loadAtEnd },
      throughput: { nonStreaming, streaming },
      memory: {
        idleRssBytes: idleRss,
        peakRssBytes: sampler ? sampler.peak : null,
        peakRssNonStreamingBytes: peakNon,
        peakRssStreamingBytes: peakStream,
        processes: sampler ? sampler.peakProcesses : null,
        samples: sampler ? sampler.samples : 0,
      },
      sequential: { ...seq, addedUs: seqAdded },
      ttfb: { ...ttfb, addedUs: ttfbAdded },
      checks,
      flags,
      ...(gwChild && gwChild.output.toString().trim() !== '' ? { tollgateOutputTail: gwChild.output.toString().slice(-4000) } : {}),
    };
    const outDir = path.join(root, 'bench', 'results');
    await mkdir(outDir, { recursive: true });
    const outFile = path.join(outDir, 'latest.json');
    await writeFile(outFile, `${JSON.stringify(results, null, 2)}\n`);

    process.stdout.write(`\n${render(results)}\nResults: ${path.relative(process.cwd(), outFile)}\n`);
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
