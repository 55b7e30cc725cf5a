// The plain-text table and the JSON record of a bench run.
import type { LoadResult } from './load.js';
import type { SeqResult } from './sequential.js';

export interface ThroughputMode {
  runs: { direct: LoadResult[]; through: LoadResult[] };
  /** Median over runs of each figure. */
  direct: MedianLoad;
  through?: MedianLoad;
  ratio?: number;
  /** Requests the upstream saw during the through runs, against responses the bench got. */
  upstreamHits?: { upstream: number; answered: number };
}

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

export interface Check {
  name: string;
  unit: string;
  value: number | null;
  target: string;
  result: 'PASS' | 'MISS' | 'ERR' | 'n/a';
}

export interface BenchResults {
  schema: 1;
  startedAt: string;
  finishedAt: string;
  environment: {
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    gitCommit: string | null;
    tollgateWorkersEnv: string | null;
  };
  options: {
    durationS: number;
    connections: number;
    runs: number;
    warmup: number;
    requests: number;
    quick: boolean;
    directOnly: boolean;
    cli: string;
    sse: 'split' | 'burst';
  };
  tollgate: { pid: number; port: number; healthyAfterMs: number; startupOutput: string } | null;
  /** User-agents the upstream saw (the bench's own clients and the gateway's). */
  upstream: { port: number; userAgents: Record<string, number> };
  /** One-minute load average before and after: other work on the machine skews the figures. */
  loadAverage: { start: number; end: number };
  throughput: { nonStreaming: ThroughputMode; streaming: ThroughputMode };
  memory: {
    idleRssBytes: number | null;
    peakRssBytes: number | null;
    peakRssNonStreamingBytes: number | null;
    peakRssStreamingBytes: number | null;
    processes: number | null;
    samples: number;
  };
  sequential: SeqResult & { addedUs: Added | null };
  ttfb: SeqResult & { addedUs: Added | null };
  checks: Check[];
  flags: string[];
}

export interface Added {
  p50: number;
  p90: number;
  p99: number;
}

export const TARGETS = {
  throughputRatio: 0.6,
  addedP50Us: 200,
  addedP99Us: 1000,
  addedTtfbP50Us: 500,
} as const;

function n(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function signed(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return `${v >= 0 ? '+' : '−'}${n(Math.abs(v))}`;
}

function mib(bytes: number | null): string {
  return bytes === null ? '—' : `${(bytes / 1048576).toFixed(1)} MiB`;
}

function errs(m: MedianLoad | undefined): string {
  if (!m) return '—';
  const s = `${m.errors}/${m.timeouts}/${m.non2xx}/${m.mismatches}`;
  return m.flagged ? `${s} !` : s;
}

/** Left-aligns the first column and right-aligns the rest. */
function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) =>
    r
      .map((c, i) => {
        const pad = ' '.repeat(widths[i] - [...c].length);
        return i === 0 || i === r.length - 1 ? c + pad : pad + c;
      })
      .join('   ')
      .trimEnd(),
  );
}

function checkOf(checks: Check[], name: string): Check | undefined {
  return checks.find((c) => c.name === name);
}

export function render(r: BenchResults): string {
  const out: string[] = [];
  const o = r.options;
  const e = r.environment;
  out.push(
    `Tollgate bench  ${r.startedAt}  node ${e.node}, ${e.cpus} CPU (${e.cpuModel})${e.gitCommit ? `, commit ${e.gitCommit.slice(0, 8)}` : ''}`,
  );
  out.push(
    `load: autocannon, ${o.connections} connections, ${o.durationS} s × ${o.runs} run${o.runs > 1 ? 's (median)' : ''}` +
      `; one at a time: ${o.warmup} warm-up + ${o.requests} requests per side, interleaved` +
      `; upstream SSE ${o.sse === 'split' ? 'one event per write' : 'all events in one write'}` +
      (e.tollgateWorkersEnv ? `; TOLLGATE_WORKERS=${e.tollgateWorkersEnv}` : ''),
  );
  out.push(`the load generator (this process), the upstream and Tollgate share the ${e.cpus} CPUs of this machine`);
  if (o.quick) out.push('quick mode: short runs, a smoke check; do not quote these figures');
  out.push('');

  const rows: string[][] = [['', 'direct', 'through', 'through/direct', 'target', 'result']];
  const tp = (label: string, m: ThroughputMode, check: string) => {
    const c = checkOf(r.checks, check);
    rows.push([`${label} req/s`, n(m.direct.reqPerSec), n(m.through?.reqPerSec), m.ratio === undefined ? '—' : `${m.ratio.toFixed(3)}×`, c?.target ?? '', c?.result ?? '']);
    rows.push(['  latency p50 / p99 ms', `${n(m.direct.latencyP50Ms)} / ${n(m.direct.latencyP99Ms)}`, m.through ? `${n(m.through.latencyP50Ms)} / ${n(m.through.latencyP99Ms)}` : '—', '', '', '']);
    rows.push(['  errors/timeouts/non-2xx/bad body', errs(m.direct), errs(m.through), '', '', '']);
  };
  out.push('Throughput');
  tp('  non-streaming', r.throughput.nonStreaming, 'throughput non-streaming');
  tp('  streaming (10 events + usage)', r.throughput.streaming, 'throughput streaming');
  rows.push(['  Tollgate peak RSS under load', '', mib(r.memory.peakRssBytes), `idle ${mib(r.memory.idleRssBytes)}`, '', '']);
  out.push(...table(rows));
  if (r.tollgate && o.cli.endsWith('.ts')) out.push('  (RSS includes the tsx loader thread, about 30 MiB; a built dist/cli.js runs without it)');
  out.push('');

  const seqRows: string[][] = [['', 'direct µs', 'through µs', 'added µs', 'target', 'result']];
  const seq = (title: string, s: SeqResult & { addedUs: Added | null }, pick: 'total' | 'firstByte', checks: Record<string, string>) => {
    seqRows.push([title, '', '', '', '', '']);
    for (const p of ['p50', 'p90', 'p99'] as const) {
      const c = checks[p] ? checkOf(r.checks, checks[p]) : undefined;
      seqRows.push([
        `  ${p}`,
        n(s.sides.direct?.[pick][p]),
        n(s.sides.through?.[pick][p]),
        signed(s.addedUs?.[p]),
        c?.target ?? '',
        c?.result ?? '',
      ]);
    }
    const err = Object.entries(s.sides).map(([k, v]) => `${k} ${v.errors}`).join(', ');
    seqRows.push([`  measured ${s.measured}${s.truncated ? ' (stopped early)' : ''}; errors: ${err}`, '', '', '', '', '']);
  };
  seq('Added latency, one at a time, non-streaming', r.sequential, 'total', { p50: 'added latency p50', p99: 'added latency p99' });
  seq('Added time to first SSE byte, one at a time', r.ttfb, 'firstByte', { p50: 'added TTFB p50' });
  out.push(...table(seqRows));
  out.push('');

  const counts = { PASS: 0, MISS: 0, ERR: 0, 'n/a': 0 };
  for (const c of r.checks) counts[c.result]++;
  out.push(`Targets: ${counts.PASS} PASS, ${counts.MISS} MISS${counts.ERR ? `, ${counts.ERR} ERR (run had errors)` : ''}${counts['n/a'] ? `, ${counts['n/a']} n/a` : ''}`);
  const uas = Object.entries(r.upstream.userAgents).map(([ua, count]) => `${ua} ×${count}`);
  if (uas.length) out.push(`upstream saw user-agents: ${uas.join(', ')}`);
  out.push(`load average: ${r.loadAverage.start.toFixed(2)} before, ${r.loadAverage.end.toFixed(2)} after`);
  for (const f of r.flags) out.push(`! ${f}`);
  return out.join('\n');
}
