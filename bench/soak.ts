/**
 * `npm run soak`: a bounded soak. Tollgate serves a steady mixed load (non-streaming and
 * streaming, through the passthrough and the mock provider) for a few minutes while its RSS is
 * sampled every 5 s and its live heap after every major GC (bench/lib/heap-probe.cjs). After a
 * warm-up, each must grow less than 5 %, comparing the median of the first and of the last 30 s
 * (one sample alone lands anywhere in a GC cycle). Loopback only; everything it starts it stops.
 * Flags: --minutes N (default 3), --warmup-s N (default 30), --connections N (default 20).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { request } from 'undici';
import { repoPath, rssBytes, spawnGateway, startUpstream, stopAll, waitForHealth } from './lib/procs.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    'warmup-s': { type: 'string', default: '30' },
    connections: { type: 'string', default: '20' },
  },
});
const minutes = Math.min(30, Math.max(0.5, Number(values.minutes)));
const warmupS = Math.max(5, Number(values['warmup-s']));
const connections = Math.min(200, Math.max(1, Number(values.connections)));
const MiB = 1024 * 1024;

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'tollgate-soak-'));
  try {
    const upstream = await startUpstream(repoPath('bench', 'upstream.ts'));
    const config = join(work, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        logLevel: 'warn',
        budgets: [{ scope: 'global', limitUsd: 1_000_000, period: 'month' }],
        providers: { bench: { kind: 'openai-compatible', baseURL: `http://127.0.0.1:${upstream.port}/v1`, apiKey: 'bench-key', models: { m: { pricing: { input: 1, output: 2 } } } } },
      }),
    );
    const port = 4300 + Math.floor(Math.random() * 500);
    const heapFile = join(work, 'heap.txt');
    const gateway = spawnGateway(
      repoPath(),
      ['--require', repoPath('bench', 'lib', 'heap-probe.cjs'), '--import', 'tsx', 'src/cli.ts', 'serve', '--port', String(port), '--config', config, '--data-dir', join(work, 'data')],
      { ...process.env, TOLLGATE_HEAP_PROBE: heapFile },
    );
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(`${url}/health`, gateway, 60_000);
    const pid = gateway.child.pid!;

    const bodies = [
      { model: 'bench/m', messages: [{ role: 'user', content: 'hello' }] },
      { model: 'bench/m', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hello' }] },
      { model: 'mock/echo', messages: [{ role: 'user', content: 'hello soak' }] },
      { model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'hello soak' }] },
    ].map((body) => JSON.stringify(body));
    let next = 0;
    const instance = autocannon({
      url: `${url}/v1/chat/completions`,
      method: 'POST',
      connections,
      duration: Math.round(minutes * 60),
      headers: { 'content-type': 'application/json' },
      requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
    });

    const samples: Array<{ s: number; rss: number }> = [];
    const started = Date.now();
    const sampler = setInterval(() => samples.push({ s: (Date.now() - started) / 1000, rss: rssBytes(pid) }), 5_000);
    const result = await new Promise<autocannon.Result>((resolve, reject) => instance.on('done', resolve).on('error', reject));
    clearInterval(sampler);
    samples.push({ s: (Date.now() - started) / 1000, rss: rssBytes(pid) });

    const rss = windowGrowth(samples.map((sample) => ({ s: sample.s, value: sample.rss })), warmupS);
    const heap = windowGrowth(readHeapSamples(heapFile), warmupS);
    const health = await request(`${url}/health`);
    await health.body.dump();

    process.stdout.write(
      [
        `Tollgate soak: ${minutes} min at ${connections} connections, mixed passthrough/mock, streaming and not`,
        `  requests: ${result.requests.total} (${Math.round(result.requests.average)}/s), non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`,
        describeGrowth('RSS', rss, `peak ${(Math.max(...samples.map((sample) => sample.rss)) / MiB).toFixed(1)} MiB`),
        describeGrowth('live heap after major GCs', heap, heap ? `${heap.count} major GCs after warm-up` : ''),
        `  health after: ${health.statusCode}`,
        `  RSS samples (s: MiB): ${samples.map((sample) => `${Math.round(sample.s)}:${(sample.rss / MiB).toFixed(0)}`).join(' ')}`,
        '',
      ].join('\n'),
    );
    return result.errors > 0 || health.statusCode !== 200 ? 1 : 0;
  } finally {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

interface Growth {
  first: number;
  last: number;
  growth: number;
  count: number;
}

/** Median of the first and of the last 30 s after the warm-up; null with too few samples to tell. */
function windowGrowth(samples: Array<{ s: number; value: number }>, warmup: number): Growth | null {
  const after = samples.filter((sample) => sample.s >= warmup);
  if (after.length < 2) return null;
  const end = after.at(-1)!.s;
  const firstWindow = after.filter((sample) => sample.s < warmup + 30);
  const lastWindow = after.filter((sample) => sample.s > end - 30 && sample.s >= warmup + 30);
  if (firstWindow.length === 0 || lastWindow.length === 0) return null;
  const first = median(firstWindow.map((sample) => sample.value));
  const last = median(lastWindow.map((sample) => sample.value));
  return { first, last, growth: (last - first) / first, count: after.length };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function readHeapSamples(file: string): Array<{ s: number; value: number }> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [s, value] = line.split(' ').map(Number);
      return { s: s!, value: value! };
    });
}

function describeGrowth(what: string, g: Growth | null, extra: string): string {
  if (!g) return `  ${what}: too few samples after the warm-up to tell (run longer: --minutes)`;
  const verdict = g.growth < 0.05 ? 'PASS' : 'MISS';
  return `  ${what}: ${(g.first / MiB).toFixed(1)} MiB just after warm-up, ${(g.last / MiB).toFixed(1)} MiB at the end (medians of 30 s); growth ${(g.growth * 100).toFixed(2)} %  (target < 5 %)  ${verdict}${extra ? `; ${extra}` : ''}`;
}

const hardStop = setTimeout(() => {
  process.stderr.write('soak: overall time limit reached\n');
  process.exit(3);
}, (minutes * 60 + 180) * 1000);
hardStop.unref();
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    process.stderr.write(`soak failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    await stopAll();
    process.exit(1);
  },
);
