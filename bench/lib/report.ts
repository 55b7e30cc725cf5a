// The plain-text table and the JSON record of a bench run.
import type { LoadResult } from './load.js';
import type { McpRun } from './mcp.js';
import type { SeqResult } from './sequential.js';
import type { OpenStreamsResult } from './streams.js';

export type Side = 'direct' | 'tollgate' | 'portkey';
export const SIDES: readonly Side[] = ['direct', 'tollgate', 'portkey'];

export interface MedianLoad {
  reqPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  flagged: boolean;
}

/** One mode at one concurrency, every side measured in the same run. */
export interface ThroughputCase {
  mode: 'non-streaming' | 'streaming';
  connections: number;
  runs: Partial<Record<Side, LoadResult[]>>;
  /** Median over runs of each figure. */
  sides: Partial<Record<Side, MedianLoad>>;
  /** Tollgate ÷ direct and Tollgate ÷ Portkey, req/s. */
  ratioDirect?: number;
  ratioPortkey?: number;
  /** Requests the upstream saw during Tollgate's runs, against responses the bench got. */
  upstreamHits?: { upstream: number; answered: number };
  /** Peak RSS of each gateway during this case's runs. */
  peakRssBytes: Partial<Record<Side, number>>;
  /** CPU time (user + system) of the answering process per request, µs: the upstream for direct. */
  cpuUsPerRequest: Partial<Record<Side, number>>;
}

export interface Check {
  name: string;
  unit: string;
  value: number | null;
  target: string;
  result: 'PASS' | 'MISS' | 'ERR' | 'n/a';
}

export interface PeerInfo {
  name: 'portkey';
  version: string;
  status: 'measured' | 'skipped' | 'failed';
  /** Why it was skipped or failed, or what did not work (streaming). */
  note?: string;
  streaming: boolean;
  pid?: number;
  port?: number;
  healthyAfterMs?: number;
  idleRssBytes?: number;
}

export interface StreamsPhase extends Omit<OpenStreamsResult, 'samples'> {
  origins: number;
  eventIntervalMs: number;
  events: number;
  fdLimits: { bench: number | null; tollgate: number | null; upstream: number | null };
  samples: OpenStreamsResult['samples'];
}

export interface BenchResults {
  schema: 2;
  startedAt: string;
  finishedAt: string;
  environment: {
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    memTotalBytes: number;
    gitCommit: string | null;
    tollgateWorkersEnv: string | null;
  };
  options: {
    durationS: number;
    connections: number[];
    runs: number;
    warmup: number;
    requests: number;
    mcpCalls: number;
    streams: number;
    quick: boolean;
    only: string[];
    modes: string[];
    peers: boolean;
    cli: string;
    cliNote: string;
    sse: 'split' | 'burst';
  };
  tollgate: { pid: number; port: number; healthyAfterMs: number; startupOutput: string };
  peers: PeerInfo[];
  /** User-agents the upstream saw (the bench's own clients and the gateways'). */
  upstream: { ports: number[]; userAgents: Record<string, number> };
  /** One-minute load average at the start, at each phase, and at the end. */
  loadAverage: { start: number; end: number; phases: { phase: string; load1: number }[] };
  throughput: ThroughputCase[];
  memory: {
    idleRssBytes: number | null;
    peakRssUnderLoadBytes: number | null;
    processes: number | null;
  };
  sequential: (SeqResult & { addedUs: Added | null }) | null;
  ttfb: (SeqResult & { addedUs: Added | null }) | null;
  mcp: { stdio: McpRun | null; http: McpRun | null; errors: string[] };
  streams: StreamsPhase | null;
  checks: Check[];
  flags: string[];
  durationS: number;
}

export interface Added {
  p50: number;
  p90: number;
  p99: number;
}

/** Targets from the issue ("Proven under faults…", Benchmark). */
export const TARGETS = {
  throughputRatio: 0.6,
  portkeyRatio: 10,
  addedP50Us: 200,
  addedP99Us: 1000,
  addedTtfbP50Us: 500,
  /** Decimal megabytes, as the issue writes it. */
  streamsRssMB: 150,
} as const;

function n(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function signed(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return `${v >= 0 ? '+' : '−'}${n(Math.abs(v))}`;
}

/** Decimal MB, as the target is written; MiB in brackets. */
export function mb(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || bytes === 0) return '—';
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function signedMb(bytes: number): string {
  return `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / 1e6).toFixed(1)} MB`;
}

function ratio(v: number | undefined, digits = 3): string {
  return v === undefined || Number.isNaN(v) ? '—' : `${v.toFixed(digits)}×`;
}

function errs(m: MedianLoad | undefined): string {
  if (!m) return '—';
  const s = `${m.errors}/${m.timeouts}/${m.non2xx}/${m.mismatches}`;
  return m.flagged ? `${s} !` : s;
}

/**
 * Left-aligns the first and last columns and right-aligns the rest. A row of one cell is a
 * heading or a note: printed as it is, it does not widen the columns.
 */
function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) if (r.length > 1) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) =>
    r.length === 1
      ? r[0]
      : r
          .map((c, i) => {
            const pad = ' '.repeat(widths[i] - [...c].length);
            return i === 0 || i === r.length - 1 ? c + pad : pad + c;
          })
          .join('   ')
          .trimEnd(),
  );
}

export function throughputCheckName(mode: string, connections: number, against: 'direct' | 'portkey'): string {
  return `${mode} ${connections} conns: Tollgate ÷ ${against === 'direct' ? 'direct' : 'Portkey'}`;
}

export function render(r: BenchResults): string {
  const out: string[] = [];
  const o = r.options;
  const e = r.environment;
  const checkOf = (name: string) => r.checks.find((c) => c.name === name);
  out.push(
    `Tollgate bench  ${r.startedAt}  node ${e.node}, ${e.cpus} CPU (${e.cpuModel}), ${(e.memTotalBytes / 2 ** 30).toFixed(0)} GiB${e.gitCommit ? `, commit ${e.gitCommit.slice(0, 8)}` : ''}`,
  );
  out.push(`Tollgate: ${o.cli} (${o.cliNote})${e.tollgateWorkersEnv ? `; TOLLGATE_WORKERS=${e.tollgateWorkersEnv}` : ''}`);
  out.push(
    `load: autocannon, ${o.connections.join(' and ')} connections, ${o.durationS} s × ${o.runs} run${o.runs > 1 ? 's (median)' : ''} per side, sides interleaved` +
      `; upstream SSE ${o.sse === 'split' ? 'one event per write' : 'all events in one write'}`,
  );
  out.push(`the load generator (this process), the upstream and the gateways share the ${e.cpus} CPUs of this machine`);
  if (o.quick) out.push('quick mode: short runs, a smoke check; do not quote these figures');
  for (const p of r.peers) {
    if (p.status !== 'measured') out.push(`Portkey ${p.version}: ${p.status}${p.note ? ` — ${p.note}` : ''}`);
    else if (p.note) out.push(`Portkey ${p.version}: ${p.note}`);
  }
  out.push('');

  const rows: string[][] = [['', 'direct', 'Tollgate', 'Portkey', 'ratio / added', 'target', 'result']];
  const blank = (label: string) => rows.push([label]);
  const checkRow = (label: string, value: string, name: string, cols: [string, string, string] = ['', '', '']) => {
    const c = checkOf(name);
    rows.push([label, ...cols, value, c?.target ?? '', c?.result ?? '']);
  };

  if (r.throughput.length) {
    blank('Throughput (req/s; latency ms; failed = errors/timeouts/non-2xx/bad body)');
    for (const t of r.throughput) {
      const s = t.sides;
      const title = `${t.mode === 'streaming' ? 'streaming (10 events + usage)' : 'non-streaming'}, ${t.connections} connections`;
      rows.push([`  ${title}`, n(s.direct?.reqPerSec), n(s.tollgate?.reqPerSec), n(s.portkey?.reqPerSec), '', '', '']);
      checkRow('    Tollgate ÷ direct', ratio(t.ratioDirect), throughputCheckName(t.mode, t.connections, 'direct'));
      if (s.portkey || r.peers.some((p) => p.status === 'measured')) {
        checkRow('    Tollgate ÷ Portkey', ratio(t.ratioPortkey, 1), throughputCheckName(t.mode, t.connections, 'portkey'));
      }
      const lat = (m: MedianLoad | undefined) => (m ? `${n(m.latencyP50Ms)} / ${n(m.latencyP99Ms)}` : '—');
      rows.push(['    latency p50 / p99', lat(s.direct), lat(s.tollgate), lat(s.portkey), '', '', '']);
      rows.push(['    failed', errs(s.direct), errs(s.tollgate), errs(s.portkey), '', '', '']);
      const cpu = t.cpuUsPerRequest ?? {};
      rows.push(['    CPU µs per request (upstream for direct)', n(cpu.direct), n(cpu.tollgate), n(cpu.portkey), '', '', '']);
      rows.push(['    peak RSS', '', mb(t.peakRssBytes.tollgate), mb(t.peakRssBytes.portkey), '', '', '']);
    }
  }

  const seq = (title: string, s: (SeqResult & { addedUs: Added | null }) | null, pick: 'total' | 'firstByte', checks: Record<string, string>) => {
    if (!s) return;
    blank(title);
    for (const p of ['p50', 'p90', 'p99'] as const) {
      const c = checks[p] ? checkOf(checks[p]) : undefined;
      rows.push([`  ${p}`, n(s.sides.direct?.[pick][p]), n(s.sides.tollgate?.[pick][p]), '', signed(s.addedUs?.[p]), c?.target ?? '', c?.result ?? '']);
    }
    const err = Object.entries(s.sides).map(([k, v]) => `${k} ${v.errors}`).join(', ');
    blank(`  ${s.measured} measured${s.truncated ? ' (stopped early)' : ''}; failed: ${err}`);
  };
  seq('Added latency, one at a time, non-streaming (µs)', r.sequential, 'total', { p50: 'added latency p50', p99: 'added latency p99' });
  seq('Added time to first SSE byte, one at a time (µs)', r.ttfb, 'firstByte', { p50: 'added TTFB p50' });

  const mcp = (label: string, m: McpRun | null) => {
    if (!m) return;
    rows.push([`  ${label} calls/s`, '', n(m.callsPerSec), '', '', '', '']);
    rows.push([
      '    round trip p50 / p99 ms',
      '',
      `${n(m.latencyUs.p50 / 1000, 2)} / ${n(m.latencyUs.p99 / 1000, 2)}`,
      '',
      '',
      '',
      '',
    ]);
    rows.push(['    server CPU µs per call', '', n(m.cpuUsPerCall), '', '', '', '']);
    blank(`    ${m.measured} calls after ${m.warmup} warm-up${m.truncated ? ' (stopped early)' : ''}; failed ${m.errors}; session up in ${m.connectMs} ms`);
  };
  if (r.mcp.stdio || r.mcp.http || r.mcp.errors.length) {
    blank("MCP tools/call `chat` (mock/echo, prompt 'hi'), one at a time");
    mcp('stdio (tollgate mcp)', r.mcp.stdio);
    mcp('Streamable HTTP (/mcp)', r.mcp.http);
    for (const err of r.mcp.errors) blank(`  ! ${err.split('\n')[0]?.slice(0, 150) ?? ''}`);
  }

  blank('Memory (RSS, Tollgate process tree)');
  rows.push(['  idle, after start-up', '', mb(r.memory.idleRssBytes), '', '', '', '']);
  if (r.memory.peakRssUnderLoadBytes) rows.push(['  peak under load (all throughput runs)', '', mb(r.memory.peakRssUnderLoadBytes), '', '', '', '']);
  const st = r.streams;
  if (st) {
    rows.push([`  before opening ${n(st.requested)} streams (before the load runs)`, '', mb(st.rssBeforeBytes), '', '', '', '']);
    checkRow(
      `  peak with ${n(st.requested)} streams open`,
      st.rssPeakAllOpenBytes === null ? 'never all open' : signedMb(st.rssPeakAllOpenBytes - st.rssBeforeBytes),
      'RSS at 1,000 open streams',
      ['', mb(st.rssPeakAllOpenBytes ?? st.rssPeakBytes), ''],
    );
    blank(
      `    streams: ${st.firstBytes} got a first byte, ${st.peakOpen} open at once${st.allOpenAfterMs !== null ? ` (all after ${n(st.allOpenAfterMs)} ms)` : ''}, ${st.completed} completed, ${st.errors} failed`,
    );
    blank(`    upstream: one event per ${st.eventIntervalMs} ms × ${st.events}, over ${st.origins} origin${st.origins > 1 ? 's' : ''}`);
  }
  out.push(...table(rows));
  out.push('');

  const counts = { PASS: 0, MISS: 0, ERR: 0, 'n/a': 0 };
  for (const c of r.checks) counts[c.result]++;
  out.push(
    `Targets: ${counts.PASS} PASS, ${counts.MISS} MISS${counts.ERR ? `, ${counts.ERR} ERR (run had errors)` : ''}${counts['n/a'] ? `, ${counts['n/a']} n/a` : ''}  (Tollgate ≥ ${TARGETS.throughputRatio}× direct, ≥ ${TARGETS.portkeyRatio}× Portkey, added p99 ≤ ${TARGETS.addedP99Us / 1000} ms one at a time, RSS ≤ ${TARGETS.streamsRssMB} MB at 1,000 streams)`,
  );
  if (st) {
    const f = st.fdLimits;
    out.push(`open-file limits: bench ${n(f.bench)}, Tollgate ${n(f.tollgate)}, upstream ${n(f.upstream)}${st.atAllOpen ? `; when all were open: ${JSON.stringify(st.atAllOpen)}` : ''}`);
  }
  const uas = Object.entries(r.upstream.userAgents).map(([ua, count]) => `${ua} ×${count}`);
  if (uas.length) out.push(`upstream saw user-agents: ${uas.join(', ')}`);
  out.push(`load average (1 min): ${r.loadAverage.start.toFixed(2)} before, ${r.loadAverage.end.toFixed(2)} after; whole run ${n(r.durationS)} s`);
  for (const f of r.flags) out.push(`! ${f}`);
  return out.join('\n');
}
