// One request at a time on one keep-alive connection per target, to see the time the
// gateway adds to a single request rather than how much it can carry.
import { Pool } from 'undici';
import { summarise, usSince, type Percentiles } from './stats.js';

export interface SeqTarget {
  /** `direct`, `tollgate`, or a reference such as the floor proxy. */
  name: string;
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface SeqSide {
  /** Whole request, send to last body byte, µs. */
  total: Percentiles;
  /** Send to response headers, µs. */
  headers: Percentiles;
  /** Send to first body byte, µs. */
  firstByte: Percentiles;
  errors: number;
  firstError?: string;
}

export interface SeqResult {
  warmup: number;
  requested: number;
  measured: number;
  /** Stopped early at the time limit. */
  truncated: boolean;
  sides: Record<string, SeqSide>;
}

interface Sample {
  total: number;
  headers: number;
  firstByte: number;
}

async function once(pool: Pool, t: SeqTarget, check: (body: string) => boolean): Promise<Sample> {
  const start = process.hrtime.bigint();
  const res = await pool.request({
    method: 'POST',
    path: t.path,
    headers: t.headers,
    body: t.body,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const headers = usSince(start);
  let firstByte = -1;
  let text = '';
  for await (const chunk of res.body) {
    if (firstByte < 0) firstByte = usSince(start);
    text += (chunk as Buffer).toString();
  }
  const total = usSince(start);
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
  if (!check(text)) throw new Error(`unexpected body: ${text.slice(0, 300)}`);
  return { total, headers, firstByte: firstByte < 0 ? total : firstByte };
}

/**
 * Alternates the targets request by request, so that drift on the machine (other processes,
 * GC in this one) falls on both sides alike. Bounded by count and by `timeLimitMs`.
 */
export async function runSequential(
  targets: SeqTarget[],
  opts: { warmup: number; requests: number; timeLimitMs: number; check: (body: string) => boolean },
): Promise<SeqResult> {
  const pools = targets.map(
    (t) => new Pool(t.origin, { connections: 1, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 }),
  );
  const samples = targets.map(() => [] as Sample[]);
  const errors = targets.map(() => 0);
  const firstErrors: (string | undefined)[] = targets.map(() => undefined);
  const deadline = Date.now() + opts.timeLimitMs;
  const iterations = opts.warmup + opts.requests;
  let truncated = false;
  try {
    for (let i = 0; i < iterations; i++) {
      if (Date.now() > deadline) {
        truncated = true;
        break;
      }
      for (let k = 0; k < targets.length; k++) {
        try {
          const s = await once(pools[k], targets[k], opts.check);
          if (i >= opts.warmup) samples[k].push(s);
        } catch (e) {
          errors[k]++;
          firstErrors[k] ??= (e as Error).message;
        }
      }
      // Many failures mean the numbers would say nothing: stop early rather than spin.
      if (errors.some((n) => n > 50 && n > i / 2)) {
        truncated = true;
        break;
      }
    }
  } finally {
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
  }
  const sides: Record<string, SeqSide> = {};
  targets.forEach((t, k) => {
    const s = samples[k];
    sides[t.name] = {
      total: summarise(s.map((x) => x.total)),
      headers: summarise(s.map((x) => x.headers)),
      firstByte: summarise(s.map((x) => x.firstByte)),
      errors: errors[k],
      ...(firstErrors[k] ? { firstError: firstErrors[k] } : {}),
    };
  });
  return {
    warmup: opts.warmup,
    requested: opts.requests,
    measured: Math.min(...samples.map((s) => s.length)),
    truncated,
    sides,
  };
}
