// The response-cache section: one Tollgate on the bench upstream, the same chat request sent
// with the cache asked for (every request after the first is a hit: no upstream call, billed 0)
// and without it (every request goes upstream), in the same run, alternating run by run.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runLoad, type LoadResult } from './load.js';
import { spawnGateway, stopChild, waitForHealth, type GatewaySectionOptions } from './procs.js';
import { median } from './stats.js';

export interface CacheBenchOptions extends GatewaySectionOptions {
  /** A chat-completions body for the model `bench/m`. */
  chatBody: string;
}

export interface CacheBenchResult {
  status: 'ran' | 'failed';
  note?: string;
  connections?: number;
  /** Median req/s of the runs of each side, and hits over misses. */
  throughput?: { hits: number; upstream: number; ratio: number; runs: { hits: LoadResult[]; upstream: LoadResult[] } };
  /** Median p50 latency under load, ms. */
  p50Ms?: { hits: number; upstream: number };
}

export async function benchCache(opts: CacheBenchOptions): Promise<CacheBenchResult> {
  const dir = path.join(opts.tmp, 'cache');
  await mkdir(dir, { recursive: true });
  const configPath = path.join(dir, 'config.json');
  const config = {
    providers: { bench: { kind: 'openai-compatible', baseURL: `${opts.upOrigin}/v1`, apiKey: opts.upstreamApiKey, models: { m: { pricing: { input: 1, output: 2 } } } } },
    logLevel: 'warn',
  };
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const port = await opts.freePort();
  const gateway = spawnGateway(opts.root, [...opts.nodeArgs, 'serve', '--port', String(port), '--host', '127.0.0.1', '--config', configPath, '--data-dir', path.join(dir, 'data')], {
    ...process.env,
    TOLLGATE_DATABASE_URL: '',
    TOLLGATE_REDIS_URL: '',
  });
  try {
    const origin = `http://127.0.0.1:${port}`;
    await waitForHealth(`${origin}/health`, gateway, 60_000, 'Tollgate (cache)');
    const url = `${origin}/v1/chat/completions`;
    const headers = { 'content-type': 'application/json', authorization: 'Bearer unused' };
    const cachedHeaders = { ...headers, 'x-tollgate-cache': 'ttl=3600' };
    // The first request fills the cache; every later one with the header is a hit.
    const fill = await fetch(url, { method: 'POST', headers: cachedHeaders, body: opts.chatBody });
    const filled = await fetch(url, { method: 'POST', headers: cachedHeaders, body: opts.chatBody });
    await fill.text();
    await filled.text();
    if (filled.headers.get('x-tollgate-cache') !== 'hit') return { status: 'failed', note: `a repeated request was not a cache hit (x-tollgate-cache: ${filled.headers.get('x-tollgate-cache')})` };

    const runs = { hits: [] as LoadResult[], upstream: [] as LoadResult[] };
    const load = { connections: opts.connections, durationS: opts.durationS, verifyBody: opts.check };
    for (let run = 0; run < opts.runs; run++) {
      const order = run % 2 === 0 ? (['hits', 'upstream'] as const) : (['upstream', 'hits'] as const);
      for (const side of order) {
        opts.log(`bench: cache: ${side === 'hits' ? 'cache hits' : 'through to the upstream'}, run ${run + 1}/${opts.runs}`);
        runs[side].push(await runLoad({ name: 'tollgate', url, headers: side === 'hits' ? cachedHeaders : headers, body: opts.chatBody }, load));
      }
    }
    const flagged = [...runs.hits, ...runs.upstream].some((result) => result.flagged);
    const hits = median(runs.hits.map((result) => result.reqPerSec));
    const upstream = median(runs.upstream.map((result) => result.reqPerSec));
    return {
      status: 'ran',
      ...(flagged ? { note: 'some requests failed: the figures are not comparable' } : {}),
      connections: opts.connections,
      throughput: { hits, upstream, ratio: upstream > 0 ? hits / upstream : 0, runs },
      p50Ms: { hits: median(runs.hits.map((result) => result.latencyMs.p50)), upstream: median(runs.upstream.map((result) => result.latencyMs.p50)) },
    };
  } catch (error) {
    return { status: 'failed', note: error instanceof Error ? error.message : String(error) };
  } finally {
    await stopChild(gateway.child);
  }
}

export function renderCache(result: CacheBenchResult): string {
  if (result.status !== 'ran') return `Response cache: ${result.status}${result.note ? ` (${result.note})` : ''}\n`;
  const { throughput, p50Ms } = result as Required<CacheBenchResult>;
  return [
    `Response cache (one Tollgate, same request, at ${result.connections} connections${result.note ? `; ${result.note}` : ''}):`,
    `  cache hits: ${throughput.hits.toFixed(0)} req/s, p50 ${p50Ms.hits.toFixed(2)} ms; through to the upstream: ${throughput.upstream.toFixed(0)} req/s, p50 ${p50Ms.upstream.toFixed(2)} ms (hits ${throughput.ratio.toFixed(2)}×)`,
    '',
  ].join('\n');
}
