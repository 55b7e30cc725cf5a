// The telemetry section: what the access log, the Prometheus metrics and the traces cost, in the
// same run, on the same upstream and load. Three Tollgates that differ only in telemetry:
//   off          access log and /metrics switched off in config, no OTEL_* variables
//   log+metrics  the defaults: one info line per request (JSON, to a pipe) and /metrics
//   +tracing     the defaults plus OTEL_EXPORTER_OTLP_ENDPOINT naming a loopback OTLP/HTTP receiver
// beside the upstream direct and the bare Node proxy (bench/floor-proxy.ts), so that each figure
// is also a ratio to those. Runs alternate the order of the sides, so drift on the machine falls
// on all alike; the CPU time per request is reported too, as it hardly moves when other work
// shares the machine.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { runLoad, type LoadResult, type Target } from './load.js';
import { cpuMs, spawnGateway, startUpstream, stopChild, waitForHealth, type GatewaySectionOptions } from './procs.js';
import { median } from './stats.js';

/** Throughput with log+metrics at least this share of the same without them. */
export const TELEMETRY_TARGETS = { logMetricsRatio: 0.95 };

const GATEWAY_SIDES = ['off', 'logMetrics', 'tracing'] as const;
type GatewaySide = (typeof GATEWAY_SIDES)[number];
type TelemetrySide = GatewaySide | 'direct' | 'floor';
const LABEL: Record<TelemetrySide, string> = { off: 'off', logMetrics: 'log+metrics', tracing: 'log+metrics+tracing', direct: 'direct', floor: 'floor ×1' };

export interface TelemetryOptions extends GatewaySectionOptions {
  floorScript: string;
  /** The request body for direct (`m`) and through a gateway (`bench/m`). */
  chatBody: (model: string) => string;
}

export interface TelemetrySideResult {
  reqPerSec: number;
  cpuUsPerRequest: number | null;
  runs: LoadResult[];
  /** This side's req/s over direct's and over the bare proxy's. */
  ratioDirect?: number;
  ratioFloor?: number;
}

export interface TelemetryCost {
  ratio: number;
  cpuAddedUs: number | null;
  cpuRatio: number | null;
}

export interface TelemetryResult {
  status: 'ran' | 'skipped' | 'failed';
  note?: string;
  connections?: number;
  sides?: Partial<Record<TelemetrySide, TelemetrySideResult>>;
  /**
   * log+metrics over off, and tracing over log+metrics: the throughput ratio, the CPU added per
   * request, and the throughput ratio that CPU alone predicts (off's CPU per request over on's),
   * which holds when the machine is shared and req/s wanders.
   */
  logMetricsCost?: TelemetryCost;
  tracingCost?: TelemetryCost;
  /** Evidence that each side did what it says: access-log lines, the requests counter, spans received. */
  evidence?: { accessLogLines: number; requestsCounted: number | null; spansReceived: number; offMetricsStatus: number };
  /** The target by throughput, and by CPU per request (null when the CPU could not be read). */
  met?: { logMetrics: boolean; logMetricsByCpu: boolean | null };
}

/** An OTLP/HTTP trace receiver on loopback that counts what it is sent and answers as a collector does. */
async function startOtlpReceiver(): Promise<{ origin: string; spans: () => number; close: () => Promise<void> }> {
  let spans = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if ((req.headers['content-type'] ?? '').includes('json')) {
        try {
          const parsed = JSON.parse(body.toString()) as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
          for (const r of parsed.resourceSpans ?? []) for (const s of r.scopeSpans ?? []) spans += s.spans?.length ?? 0;
        } catch {
          // counted as nothing
        }
      } else if (body.length > 0) spans += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function countLines(file: string, marker: string): number {
  return readFileSync(file, 'utf8').split('\n').filter((line) => line.includes(marker)).length;
}

/** The sum of `tollgate_requests_total` over its series, or null when /metrics does not answer. */
async function requestsCounted(origin: string): Promise<number | null> {
  const res = await request(`${origin}/metrics`);
  const text = await res.body.text();
  if (res.statusCode !== 200) return null;
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith('tollgate_requests_total{') || line.startsWith('tollgate_requests_total ')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

export async function benchTelemetry(opts: TelemetryOptions): Promise<TelemetryResult> {
  const children: Array<{ child: import('node:child_process').ChildProcess }> = [];
  const receiver = await startOtlpReceiver();
  try {
    const gateways = {} as Record<GatewaySide, { origin: string; pid: number; logFile: string }>;
    for (const side of GATEWAY_SIDES) {
      const dir = path.join(opts.tmp, `telemetry-${side}`);
      await mkdir(dir, { recursive: true });
      const configPath = path.join(dir, 'config.json');
      const config = {
        providers: { bench: { kind: 'openai-compatible', baseURL: `${opts.upOrigin}/v1`, apiKey: opts.upstreamApiKey, models: { m: { pricing: { input: 1, output: 2 } } } } },
        logLevel: 'info',
        ...(side === 'off' ? { telemetry: { accessLog: false, metrics: false } } : {}),
      };
      await writeFile(configPath, JSON.stringify(config, null, 2));
      const env: NodeJS.ProcessEnv = { ...process.env, TOLLGATE_LOG_FORMAT: 'json' };
      for (const name of Object.keys(env)) if (name.startsWith('OTEL_')) delete env[name];
      if (side === 'tracing') Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin, OTEL_SERVICE_NAME: 'tollgate-bench' });
      const port = await opts.freePort();
      // The log goes to a file, as a log shipper would read it, not through this process's CPU.
      const logFile = path.join(dir, 'stderr.log');
      const logFd = openSync(logFile, 'w');
      const gw = spawnGateway(opts.root, [...opts.nodeArgs, 'serve', '--port', String(port), '--host', '127.0.0.1', '--config', configPath, '--data-dir', path.join(dir, 'data')], env, logFd);
      closeSync(logFd);
      children.push(gw);
      const origin = `http://127.0.0.1:${port}`;
      await waitForHealth(`${origin}/health`, gw, 60_000, `Tollgate (telemetry ${LABEL[side]})`).catch((error: Error) => {
        throw new Error(`${error.message}\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
      });
      gateways[side] = { origin, pid: gw.child.pid ?? 0, logFile };
    }
    const floor = await startUpstream(opts.floorScript, ['--upstream', opts.upOrigin, '--workers', '1'], 30_000, 'floor ×1');
    children.push(floor);

    const headers = { 'content-type': 'application/json', 'user-agent': 'tollgate-bench' };
    const targets: Record<TelemetrySide, { target: Target; pid: number }> = {
      direct: { target: { name: 'direct', url: `${opts.upOrigin}/v1/chat/completions`, headers: { ...headers, authorization: `Bearer ${opts.upstreamApiKey}` }, body: opts.chatBody('m') }, pid: 0 },
      floor: { target: { name: 'floor1', url: `http://127.0.0.1:${floor.port}/v1/chat/completions`, headers, body: opts.chatBody('bench/m') }, pid: floor.child.pid ?? 0 },
      off: { target: { name: 'tollgate', url: `${gateways.off.origin}/v1/chat/completions`, headers, body: opts.chatBody('bench/m') }, pid: gateways.off.pid },
      logMetrics: { target: { name: 'tollgate', url: `${gateways.logMetrics.origin}/v1/chat/completions`, headers, body: opts.chatBody('bench/m') }, pid: gateways.logMetrics.pid },
      tracing: { target: { name: 'tollgate', url: `${gateways.tracing.origin}/v1/chat/completions`, headers, body: opts.chatBody('bench/m') }, pid: gateways.tracing.pid },
    };
    const order: TelemetrySide[] = ['direct', 'floor', 'off', 'logMetrics', 'tracing'];
    const load = { connections: opts.connections, durationS: opts.durationS, verifyBody: opts.check };
    for (const side of order) {
      opts.log(`bench: telemetry: warm-up ${LABEL[side]}`);
      await runLoad(targets[side].target, { ...load, durationS: Math.min(2, opts.durationS) });
    }
    const runs = {} as Record<TelemetrySide, LoadResult[]>;
    const cpu = {} as Record<TelemetrySide, { ms: number; requests: number }>;
    for (let index = 0; index < Math.max(1, opts.runs); index++) {
      const round = index % 2 === 0 ? order : [...order].reverse();
      for (const side of round) {
        opts.log(`bench: telemetry: ${LABEL[side]}, ${opts.connections} connections, run ${index + 1}/${opts.runs}, ${opts.durationS} s`);
        const pid = targets[side].pid;
        const before = pid ? cpuMs(pid) : 0;
        const r = await runLoad(targets[side].target, load);
        const acc = (cpu[side] ??= { ms: 0, requests: 0 });
        if (pid) acc.ms += cpuMs(pid) - before;
        acc.requests += r.total;
        (runs[side] ??= []).push(r);
        opts.log(`bench:   ${Math.round(r.reqPerSec)} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms${r.flagged ? `, FAILED: errors ${r.errors}, non-2xx ${r.non2xx}, bad body ${r.mismatches}` : ''}`);
      }
    }
    const sides: Partial<Record<TelemetrySide, TelemetrySideResult>> = {};
    for (const side of order) {
      const list = runs[side];
      const c = cpu[side];
      sides[side] = { reqPerSec: median(list.map((r) => r.reqPerSec)), cpuUsPerRequest: targets[side].pid && c.requests ? (c.ms * 1000) / c.requests : null, runs: list };
    }
    for (const side of ['floor', ...GATEWAY_SIDES] as const) {
      const s = sides[side]!;
      s.ratioDirect = s.reqPerSec / sides.direct!.reqPerSec;
      if (side !== 'floor') s.ratioFloor = s.reqPerSec / sides.floor!.reqPerSec;
    }
    const cost = (on: GatewaySide, off: GatewaySide): TelemetryCost => {
      const a = sides[on]!;
      const b = sides[off]!;
      const cpu = a.cpuUsPerRequest !== null && b.cpuUsPerRequest !== null ? { on: a.cpuUsPerRequest, off: b.cpuUsPerRequest } : null;
      return { ratio: a.reqPerSec / b.reqPerSec, cpuAddedUs: cpu ? cpu.on - cpu.off : null, cpuRatio: cpu ? cpu.off / cpu.on : null };
    };
    const logMetricsCost = cost('logMetrics', 'off');
    // The batch processor sends every few seconds; stopping the gateway flushes what is left.
    const offMetrics = await request(`${gateways.off.origin}/metrics`);
    await offMetrics.body.dump();
    const evidence = {
      accessLogLines: countLines(gateways.logMetrics.logFile, '"msg":"request"'),
      requestsCounted: await requestsCounted(gateways.logMetrics.origin),
      spansReceived: 0,
      offMetricsStatus: offMetrics.statusCode,
    };
    for (const c of children) await stopChild(c.child, 5000);
    evidence.spansReceived = receiver.spans();
    return {
      status: 'ran',
      connections: opts.connections,
      sides,
      logMetricsCost,
      tracingCost: cost('tracing', 'logMetrics'),
      evidence,
      met: {
        logMetrics: logMetricsCost.ratio >= TELEMETRY_TARGETS.logMetricsRatio,
        logMetricsByCpu: logMetricsCost.cpuRatio === null ? null : logMetricsCost.cpuRatio >= TELEMETRY_TARGETS.logMetricsRatio,
      },
    };
  } catch (error) {
    return { status: 'failed', note: (error as Error).message.split('\n')[0]?.slice(0, 300) ?? 'failed' };
  } finally {
    for (const c of children) await stopChild(c.child, 5000);
    await receiver.close();
  }
}

export function renderTelemetry(result: TelemetryResult): string {
  if (result.status !== 'ran') return `Telemetry (access log + metrics, tracing): ${result.status}${result.note ? ` (${result.note})` : ''}\n`;
  const { sides, logMetricsCost, tracingCost, evidence, met } = result as Required<TelemetryResult>;
  const pct = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)} %`;
  const cost = ({ ratio, cpuAddedUs, cpuRatio }: TelemetryCost) =>
    `${ratio.toFixed(3)}× throughput (${pct(ratio)}); CPU ${cpuAddedUs === null || cpuRatio === null ? 'n/a' : `${cpuAddedUs >= 0 ? '+' : ''}${cpuAddedUs.toFixed(1)} µs/request, ${cpuRatio.toFixed(3)}× by CPU`}`;
  const rows = (['direct', 'floor', ...GATEWAY_SIDES] as const).map((side) => {
    const s = sides[side]!;
    const ratios = [s.ratioDirect !== undefined && side !== 'direct' ? `${s.ratioDirect.toFixed(2)}× direct` : '', s.ratioFloor !== undefined ? `${s.ratioFloor.toFixed(2)}× floor` : ''].filter(Boolean).join(', ');
    const cpu = s.cpuUsPerRequest === null ? '' : `, ${s.cpuUsPerRequest.toFixed(0)} µs CPU/request`;
    return `  ${LABEL[side].padEnd(20)} ${s.reqPerSec.toFixed(0).padStart(7)} req/s${ratios ? ` (${ratios})` : ''}${cpu}`;
  });
  return [
    `Telemetry (three Tollgates differing only in telemetry, same run, ${result.connections} connections, non-streaming):`,
    ...rows,
    `  access log + metrics on vs off: ${cost(logMetricsCost)} (target ≥ ${TELEMETRY_TARGETS.logMetricsRatio}×: ${met.logMetrics ? 'met' : 'NOT met'} by throughput${met.logMetricsByCpu === null ? '' : `, ${met.logMetricsByCpu ? 'met' : 'NOT met'} by CPU`})`,
    `  tracing on vs off (OTLP/HTTP to a loopback receiver, both with log + metrics): ${cost(tracingCost)}`,
    '  tracing off loads no OpenTelemetry SDK and subscribes nothing: its cost is zero by construction (the off and log+metrics sides run without it)',
    `  evidence: ${evidence.accessLogLines} access-log lines, tollgate_requests_total ${evidence.requestsCounted ?? 'n/a'}, ${evidence.spansReceived} spans received, /metrics with metrics off: ${evidence.offMetricsStatus}`,
    '',
  ].join('\n');
}
