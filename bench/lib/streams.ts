// Many streaming requests open at once through the gateway, to an upstream that streams
// slowly: the gateway's memory while it holds them all.
import { Pool } from 'undici';

export interface OpenStreamsOptions {
  origin: string;
  path: string;
  headers: Record<string, string>;
  /** Body of request i. */
  body: (i: number) => string;
  count: number;
  /** Called every `sampleMs` while streams are open; returns the gateway's RSS in bytes. */
  sampleRss: () => number;
  sampleMs: number;
  /** Called once when every stream has its first byte (or at the peak of open streams). */
  onAllOpen?: () => Promise<Record<string, unknown>>;
  /** Whole phase, opening to last byte. */
  timeLimitMs: number;
}

export interface OpenStreamsResult {
  requested: number;
  /** Streams whose first body byte arrived. */
  firstBytes: number;
  /** Streams that ended with `data: [DONE]`. */
  completed: number;
  errors: number;
  firstError?: string;
  /** Most streams open at one time (first byte in, last byte not yet). */
  peakOpen: number;
  /** From the first request to the moment all were open; null if that never happened. */
  allOpenAfterMs: number | null;
  rssBeforeBytes: number;
  rssPeakBytes: number;
  /** Highest RSS seen while every stream was open (null if they never all were). */
  rssPeakAllOpenBytes: number | null;
  samples: { tMs: number; rssBytes: number; open: number; firstBytes: number }[];
  atAllOpen?: Record<string, unknown>;
  durationMs: number;
  truncated: boolean;
}

export async function openStreams(opts: OpenStreamsOptions): Promise<OpenStreamsResult> {
  const pool = new Pool(opts.origin, {
    connections: opts.count,
    pipelining: 1,
    headersTimeout: opts.timeLimitMs,
    bodyTimeout: opts.timeLimitMs,
    keepAliveTimeout: 10_000,
  });
  let firstBytes = 0;
  let ended = 0;
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  let peakOpen = 0;
  let allOpenAt: number | null = null;
  let atAllOpen: Record<string, unknown> | undefined;
  const rssBeforeBytes = opts.sampleRss();
  let rssPeakBytes = rssBeforeBytes;
  let rssPeakAllOpenBytes: number | null = null;
  const samples: OpenStreamsResult['samples'] = [];
  const start = Date.now();
  const open = () => firstBytes - ended;

  const sample = () => {
    const rss = opts.sampleRss();
    if (samples.length < 2000) samples.push({ tMs: Date.now() - start, rssBytes: rss, open: open(), firstBytes });
    if (rss > rssPeakBytes) rssPeakBytes = rss;
    if (open() === opts.count && (rssPeakAllOpenBytes === null || rss > rssPeakAllOpenBytes)) rssPeakAllOpenBytes = rss;
  };
  const sampler = setInterval(sample, opts.sampleMs);

  let probing = false;
  const maybeProbe = () => {
    if (allOpenAt !== null || open() !== opts.count || probing) return;
    allOpenAt = Date.now() - start;
    sample();
    if (opts.onAllOpen) {
      probing = true;
      void opts
        .onAllOpen()
        .then((r) => (atAllOpen = r))
        .catch((e: unknown) => (atAllOpen = { error: (e as Error).message }));
    }
  };

  const one = async (i: number): Promise<void> => {
    let seen = false;
    try {
      const res = await pool.request({ method: 'POST', path: opts.path, headers: opts.headers, body: opts.body(i) });
      let tail = '';
      for await (const chunk of res.body) {
        if (!seen) {
          seen = true;
          firstBytes++;
          if (open() > peakOpen) peakOpen = open();
          maybeProbe();
        }
        tail = (tail + (chunk as Buffer).toString()).slice(-64);
      }
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${tail}`);
      if (tail.includes('[DONE]')) completed++;
      else throw new Error(`stream ended without [DONE]: …${tail}`);
    } catch (e) {
      errors++;
      firstError ??= (e as Error).message;
    } finally {
      if (seen) ended++;
    }
  };

  let truncated = false;
  const all = Promise.all(Array.from({ length: opts.count }, (_, i) => one(i)));
  let guard: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (guard = setTimeout(() => r('timeout'), opts.timeLimitMs)));
  try {
    if ((await Promise.race([all, timedOut])) === 'timeout') {
      truncated = true;
      await pool.destroy().catch(() => undefined);
      await Promise.race([all, new Promise((r) => setTimeout(r, 2000))]);
    }
  } finally {
    clearTimeout(guard);
    clearInterval(sampler);
    await pool.close().catch(() => undefined);
  }
  // The probe may still be reading the upstream's tally; give it a moment.
  for (let i = 0; i < 40 && probing && atAllOpen === undefined; i++) await new Promise((r) => setTimeout(r, 50));
  return {
    requested: opts.count,
    firstBytes,
    completed,
    errors,
    ...(firstError ? { firstError } : {}),
    peakOpen,
    allOpenAfterMs: allOpenAt,
    rssBeforeBytes,
    rssPeakBytes,
    rssPeakAllOpenBytes,
    samples,
    ...(atAllOpen ? { atAllOpen } : {}),
    durationMs: Date.now() - start,
    truncated,
  };
}
