// The plain-text table and the JSON record of a bench run.
import type { LoadResult } from './load.js';
import type { McpRun, TimedCalls } from './mcp.js';
import type { SeqResult } from './sequential.js';
import type { OpenStreamsResult } from './streams.js';

/** The bare Node proxy of bench/floor-proxy.ts in N processes: `floor1`, `floor2`, … */
export type FloorSide = `floor${number}`;
export type Side = 'direct' | 'tollgate' | 'portkey' | FloorSide;
export const SIDES: readonly Side[] = ['direct', 'tollgate', 'portkey'];
export const floorSide = (workers: number): FloorSide => `floor${workers}`;

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
  /**
   * The rest of the machine's CPU per request during each side's runs, µs: the upstream
   * behind a gateway, and the load generator (the bench process). With the gateway's, all that
   * the machine spends on a request.
   */
  upstreamCpuUsPerRequest?: Partial<Record<Side, number>>;
  loadGenCpuUsPerRequest?: Partial<Record<Side, number>>;
  /** Each floor side ÷ direct, and Tollgate ÷ each floor side, req/s. */
  floorRatioDirect?: Partial<Record<FloorSide, number>>;
  ratioFloor?: Partial<Record<FloorSide, number>>;
}

/** A floor proxy (bench/floor-proxy.ts) of the throughput section. */
export interface FloorInfo {
  side: FloorSide;
  workers: number;
  status: 'measured' | 'skipped' | 'failed';
  note?: string;
  pid?: number;
  port?: number;
  idleRssBytes?: number;
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
    mcpWarmup: number;
    streams: number;
    quick: boolean;
    only: string[];
    modes: string[];
    peers: boolean;
    /** Process counts of the floor sides measured (bench/floor-proxy.ts); empty: none. */
    floorWorkers: number[];
    cli: string;
    cliNote: string;
    sse: 'split' | 'burst';
  };
  tollgate: { pid: number; port: number; healthyAfterMs: number; startupOutput: string };
  peers: PeerInfo[];
  /** Bare Node proxies measured beside Tollgate: what any Node gateway could reach here. */
  floor: FloorInfo[];
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
  sequential: SeqReport | null;
  ttfb: SeqReport | null;
  /** `chatHttp`: the tool's chat request sent to the OpenAI HTTP API of the same server, the same way. */
  mcp: { stdio: McpRun | null; http: McpRun | null; chatHttp: TimedCalls | null; errors: string[] };
  streams: StreamsPhase | null;
  checks: Check[];
  flags: string[];
  durationS: number;
}

/** One-at-a-time results; `floorAddedUs`: what the bare Node proxy adds, measured alongside. */
export type SeqReport = SeqResult & { addedUs: Added | null; floorAddedUs?: Added | null };

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
  const floorInfo = r.floor ?? [];
  const floors = floorInfo.filter((f) => f.status === 'measured').sort((a, b) => a.workers - b.workers);
  if (floors.length) {
    out.push(
      `floor ×N: bench/floor-proxy.ts in N process${floors.some((f) => f.workers > 1) ? 'es (node:cluster)' : ''}, the least a Node gateway does: node:http, ` +
        'JSON.parse + JSON.stringify of the body to rename the model, undici.request on a keep-alive Agent set as Tollgate\'s, status, content-type and body piped back; no auth, ledger or logging (run through tsx: its RSS counts tsx\'s loader)',
    );
  }
  for (const f of floorInfo) if (f.status !== 'measured') out.push(`floor ×${f.workers}: ${f.status}${f.note ? ` — ${f.note}` : ''}`);
  out.push('');

  // The floor columns sit between direct and Tollgate; rows are written without them and get
  // them (blank unless given) when the table is laid out.
  const rows: string[][] = [];
  const floorCells = new Map<string[], string[]>();
  const withFloors = (row: string[], cells: (f: FloorInfo) => string) => {
    floorCells.set(row, floors.map(cells));
    rows.push(row);
  };
  withFloors(['', 'direct', 'Tollgate', 'Portkey', 'ratio / added', 'target', 'result'], (f) => `floor ×${f.workers}`);
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
      withFloors([`  ${title}`, n(s.direct?.reqPerSec), n(s.tollgate?.reqPerSec), n(s.portkey?.reqPerSec), '', '', ''], (f) => n(s[f.side]?.reqPerSec));
      checkRow('    Tollgate ÷ direct', ratio(t.ratioDirect), throughputCheckName(t.mode, t.connections, 'direct'));
      if (s.portkey || r.peers.some((p) => p.status === 'measured')) {
        checkRow('    Tollgate ÷ Portkey', ratio(t.ratioPortkey, 1), throughputCheckName(t.mode, t.connections, 'portkey'));
      }
      if (floors.length) {
        const pkDirect = s.portkey && s.direct ? s.portkey.reqPerSec / s.direct.reqPerSec : undefined;
        withFloors(['    req/s ÷ direct', '', ratio(t.ratioDirect), ratio(pkDirect), '', '', ''], (f) => ratio(t.floorRatioDirect?.[f.side]));
        withFloors(['    Tollgate ÷ floor', '', '', '', '', '', ''], (f) => ratio(t.ratioFloor?.[f.side]));
      }
      const lat = (m: MedianLoad | undefined) => (m ? `${n(m.latencyP50Ms)} / ${n(m.latencyP99Ms)}` : '—');
      withFloors(['    latency p50 / p99', lat(s.direct), lat(s.tollgate), lat(s.portkey), '', '', ''], (f) => lat(s[f.side]));
      withFloors(['    failed', errs(s.direct), errs(s.tollgate), errs(s.portkey), '', '', ''], (f) => errs(s[f.side]));
      const cpu = t.cpuUsPerRequest ?? {};
      const upCpu = t.upstreamCpuUsPerRequest ?? {};
      const lgCpu = t.loadGenCpuUsPerRequest ?? {};
      withFloors(['    CPU µs per request (upstream for direct)', n(cpu.direct), n(cpu.tollgate), n(cpu.portkey), '', '', ''], (f) => n(cpu[f.side]));
      if (t.upstreamCpuUsPerRequest || t.loadGenCpuUsPerRequest) {
        withFloors(['      the upstream behind it', '', n(upCpu.tollgate), n(upCpu.portkey), '', '', ''], (f) => n(upCpu[f.side]));
        withFloors(['      the load generator (this process)', n(lgCpu.direct), n(lgCpu.tollgate), n(lgCpu.portkey), '', '', ''], (f) => n(lgCpu[f.side]));
        // All three × req/s: near the CPU count, the machine was the limit, and every µs a
        // proxy spends is a request the load generator and the upstream do not get to.
        const busy = (side: Side) => {
          const perReq = (cpu[side] ?? NaN) + (side === 'direct' ? 0 : upCpu[side] ?? NaN) + (lgCpu[side] ?? NaN);
          const rps = s[side]?.reqPerSec;
          return rps === undefined || Number.isNaN(perReq) ? '—' : n((perReq * rps) / 1e6, 2);
        };
        withFloors([`      CPUs busy, all three (of ${e.cpus})`, busy('direct'), busy('tollgate'), busy('portkey'), '', '', ''], (f) => busy(f.side));
      }
      withFloors(['    peak RSS', '', mb(t.peakRssBytes.tollgate), mb(t.peakRssBytes.portkey), '', '', ''], (f) => mb(t.peakRssBytes[f.side]));
    }
  }

  const seq = (title: string, s: SeqReport | null, pick: 'total' | 'firstByte', checks: Record<string, string>) => {
    if (!s) return;
    blank(title);
    for (const p of ['p50', 'p90', 'p99'] as const) {
      const c = checks[p] ? checkOf(checks[p]) : undefined;
      rows.push([`  ${p}`, n(s.sides.direct?.[pick][p]), n(s.sides.tollgate?.[pick][p]), '', signed(s.addedUs?.[p]), c?.target ?? '', c?.result ?? '']);
    }
    const f = s.floorAddedUs;
    // The same requests, alternated with the others, through a proxy that only forwards: what
    // this machine adds to any Node proxy's single request.
    if (f) blank(`  the bare Node proxy (floor ×1) adds: p50 ${signed(f.p50)}, p90 ${signed(f.p90)}, p99 ${signed(f.p99)}`);
    const err = Object.entries(s.sides).map(([k, v]) => `${k} ${v.errors}`).join(', ');
    blank(`  ${s.measured} measured${s.truncated ? ' (stopped early)' : ''}; failed: ${err}`);
  };
  seq('Added latency, one at a time, non-streaming (µs)', r.sequential, 'total', { p50: 'added latency p50', p99: 'added latency p99' });
  seq('Added time to first SSE byte, one at a time (µs)', r.ttfb, 'firstByte', { p50: 'added TTFB p50' });

  const timed = (label: string, m: TimedCalls | null, unit: string, extra: () => void = () => {}) => {
    if (!m) return;
    rows.push([`  ${label} ${unit}/s`, '', n(m.callsPerSec), '', '', '', '']);
    rows.push(['    round trip p50 / p99 ms', '', `${n(m.latencyUs.p50 / 1000, 2)} / ${n(m.latencyUs.p99 / 1000, 2)}`, '', '', '', '']);
    rows.push([`    server CPU µs per ${unit === 'calls' ? 'call' : 'request'}`, '', n(m.cpuUsPerCall), '', '', '', '']);
    rows.push(['      during the warm-up (JIT compiling)', '', n(m.warmupCpuUsPerCall), '', '', '', '']);
    extra();
    blank(`    ${m.measured} measured after ${m.warmup} warm-up${m.truncated ? ' (stopped early)' : ''}; failed ${m.errors}`);
  };
  const mcp = (label: string, m: McpRun | null) =>
    timed(label, m, 'calls', () => {
      if (!m) return;
      rows.push(['    tools/list size, bytes', '', n(m.toolsListBytes), '', '', '', '']);
      blank(`    session up in ${m.connectMs} ms`);
    });
  if (r.mcp.stdio || r.mcp.http || r.mcp.errors.length) {
    blank("MCP tools/call `chat` (mock/echo, prompt 'hi'), one at a time");
    mcp('stdio (tollgate mcp)', r.mcp.stdio);
    mcp('Streamable HTTP (/mcp)', r.mcp.http);
    timed('the same chat on /v1/chat/completions', r.mcp.chatHttp, 'requests');
    const h = r.mcp.http?.cpuUsPerCall;
    const c = r.mcp.chatHttp?.cpuUsPerCall;
    if (h != null && c != null) blank(`  Streamable HTTP tools/call: ${n(h)} µs of server CPU, ${signed(h - c)} µs against the chat request alone`);
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
  const blanks = floors.map(() => '');
  out.push(...table(rows.map((row) => (row.length === 1 ? row : [row[0], row[1], ...(floorCells.get(row) ?? blanks), ...row.slice(2)]))));
  out.push('');
  if (floors.length && r.throughput.length) {
    out.push(`Against the floor (the most a bare Node proxy got here; the target is Tollgate ≥ ${TARGETS.throughputRatio}× direct):`);
    for (const t of r.throughput) {
      const got = floors
        .map((f) => ({ f, v: t.floorRatioDirect?.[f.side] }))
        .filter((x): x is { f: FloorInfo; v: number } => x.v !== undefined && !t.sides[x.f.side]?.flagged);
      if (!got.length) continue;
      const best = got.reduce((a, b) => (b.v > a.v ? b : a));
      const tg = floors.map((f) => (t.ratioFloor?.[f.side] !== undefined ? `${ratio(t.ratioFloor[f.side])} of floor ×${f.workers}` : '')).filter(Boolean);
      out.push(
        `  ${t.mode}, ${t.connections} connections: floor ${got.map((x) => `×${x.f.workers} ${ratio(x.v)}`).join(', ')} direct; ` +
          (best.v < TARGETS.throughputRatio
            ? `the target is above the best floor (${ratio(best.v)}, ×${best.f.workers})`
            : `the best floor (${ratio(best.v)}, ×${best.f.workers}) reaches the target`) +
          (tg.length ? `; Tollgate ${tg.join(', ')}` : ''),
      );
      // When the CPUs are the limit, req/s through a gateway ÷ direct is about the CPU that a
      // direct request costs the machine ÷ what a request through the gateway costs it all in;
      // the gateway's own share assumes the upstream and load generator cost what they do direct.
      const total = (side: Side) => {
        const v = (t.cpuUsPerRequest[side] ?? NaN) + (side === 'direct' ? 0 : t.upstreamCpuUsPerRequest?.[side] ?? NaN) + (t.loadGenCpuUsPerRequest?.[side] ?? NaN);
        return Number.isNaN(v) ? undefined : v;
      };
      const d = total('direct');
      if (d === undefined) continue;
      const via = [...floors.map((f) => [`floor ×${f.workers}`, f.side] as const), ['Tollgate', 'tollgate'] as const]
        .map(([name, side]) => ({ name: name as string, all: total(side), own: t.cpuUsPerRequest[side] }))
        .filter((x): x is { name: string; all: number; own: number } => x.all !== undefined && x.own !== undefined);
      out.push(
        `    CPU µs per request, all in: direct ${n(d)}; ${via.map((x) => `${x.name} ${n(x.all)} (its own ${n(x.own)})`).join(', ')}` +
          ` — ${TARGETS.throughputRatio}× allows ${n(d / TARGETS.throughputRatio)} all in, a gateway's own ≤ ${n(d / TARGETS.throughputRatio - d)}`,
      );
    }
  }

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
