// Throughput under concurrency, with autocannon in this process.
import autocannon from 'autocannon';
import type { Side } from './report.js';

export interface Target {
  name: Side;
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  reqPerSec: number;
  /** Completed responses of any status. */
  total: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  /** 2xx responses whose body was not the expected one. */
  mismatches: number;
  statusCodes: Record<string, number>;
  durationS: number;
  /** True when any request failed in any way: the figures of such a run are not comparable. */
  flagged: boolean;
}

export interface LoadOptions {
  connections: number;
  durationS: number;
  verifyBody: (body: string) => boolean;
}

export async function runLoad(target: Target, opts: LoadOptions): Promise<LoadResult> {
  const instance = autocannon({
    url: target.url,
    method: 'POST',
    headers: target.headers,
    body: target.body,
    connections: opts.connections,
    duration: opts.durationS,
    timeout: 10,
    verifyBody: opts.verifyBody,
  });
  // autocannon stops itself at `duration`; this is only a guard against a wedged run.
  const guard = setTimeout(() => instance.stop(), (opts.durationS + 30) * 1000);
  try {
    const r = await instance;
    const statusCodes: Record<string, number> = {};
    for (const [code, s] of Object.entries(r.statusCodeStats)) statusCodes[code] = s.count;
    const result: LoadResult = {
      reqPerSec: r.requests.average,
      total: r.requests.total,
      latencyMs: {
        p50: r.latency.p50,
        p90: r.latency.p90,
        p99: r.latency.p99,
        mean: r.latency.mean,
        max: r.latency.max,
      },
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
      mismatches: r.mismatches,
      statusCodes,
      durationS: r.duration,
      flagged: false,
    };
    result.flagged = r.errors + r.timeouts + r.non2xx + r.mismatches > 0 || r.requests.total === 0;
    return result;
  } finally {
    clearTimeout(guard);
  }
}
