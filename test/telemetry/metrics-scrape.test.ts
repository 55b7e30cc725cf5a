/**
 * The request metrics are tallied outside prom-client and handed to it at scrape: the scrape must
 * be the text prom-client writes when each request is counted and observed on it directly, the
 * same series in the same order, the same buckets, sums and counts.
 */
import OpenAI from 'openai';
import { Counter, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import type { AttemptEnded, RequestSettled } from '../../src/core/hooks.js';
import type { AttemptRow, RequestRow } from '../../src/store/types.js';
import { GatewayMetrics } from '../../src/telemetry/metrics.js';
import { eventually, fallbackTo, startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const FAMILIES = [
  'tollgate_requests_total',
  'tollgate_request_duration_seconds',
  'tollgate_time_to_first_token_seconds',
  'tollgate_tokens_total',
  'tollgate_cost_usd_total',
  'tollgate_upstream_attempts_total',
  'tollgate_fallbacks_total',
  'tollgate_cache_hits_total',
];

/** Each request counted and observed on prom-client as it settles, the plain way. */
function counted(perKey = false) {
  const registry = new Registry();
  const registers = [registry];
  const help = 'h';
  const requests = new Counter({ name: FAMILIES[0]!, help, labelNames: ['face', 'model', 'provider', 'status', 'error_kind', ...(perKey ? ['key'] : [])], registers });
  const duration = new Histogram({ name: FAMILIES[1]!, help, labelNames: ['face', 'model'], buckets: BUCKETS, registers });
  const ttft = new Histogram({ name: FAMILIES[2]!, help, labelNames: ['model'], buckets: BUCKETS, registers });
  const tokens = new Counter({ name: FAMILIES[3]!, help, labelNames: ['model', 'type'], registers });
  const costNanos = new Map<string, { labels: { model: string; provider: string }; nanos: number }>();
  new Counter({
    name: FAMILIES[4]!,
    help,
    labelNames: ['model', 'provider'],
    registers,
    // Spend is summed in nanos and shown in USD, as before.
    collect() {
      this.reset();
      for (const { labels, nanos } of costNanos.values()) this.inc(labels, nanos / 1e9);
    },
  });
  const attempts = new Counter({ name: FAMILIES[5]!, help, labelNames: ['provider', 'model', 'outcome'], registers });
  const fallbacks = new Counter({ name: FAMILIES[6]!, help, registers });
  const cacheHits = new Counter({ name: FAMILIES[7]!, help, labelNames: ['face', 'model'], registers });
  const served = new Set<string>();
  return {
    registry,
    attemptEnded(event: AttemptEnded) {
      attempts.inc({ provider: event.provider, model: event.model, outcome: event.errorKind ?? event.outcome });
    },
    settled({ request, attempts: tried }: RequestSettled) {
      if (request.servedModel) served.add(request.servedModel);
      const model = request.servedModel ?? (served.has(request.requestedModel) ? request.requestedModel : 'other');
      requests.inc({ face: request.face, model, provider: request.provider ?? '', status: request.status, error_kind: request.errorKind ?? '', ...(perKey ? { key: request.keyName ?? '' } : {}) });
      if (request.cacheHit) cacheHits.inc({ face: request.face, model });
      duration.observe({ face: request.face, model }, request.latencyMs / 1000);
      if (request.ttftMs !== null) ttft.observe({ model }, request.ttftMs / 1000);
      const usage = request.usage;
      if (usage.input) tokens.inc({ model, type: 'input' }, usage.input);
      if (usage.output) tokens.inc({ model, type: 'output' }, usage.output);
      if (usage.cacheRead) tokens.inc({ model, type: 'cached' }, usage.cacheRead);
      if (usage.reasoning) tokens.inc({ model, type: 'reasoning' }, usage.reasoning);
      let moves = 0;
      tried.forEach((attempt, index) => {
        if (attempt.costNanos) {
          const key = `${attempt.model}\u0000${attempt.provider}`;
          const found = costNanos.get(key) ?? costNanos.set(key, { labels: { model: attempt.model, provider: attempt.provider }, nanos: 0 }).get(key)!;
          found.nanos += attempt.costNanos;
        }
        if (index > 0 && attempt.model !== tried[index - 1]!.model) moves += 1;
      });
      if (moves) fallbacks.inc(moves);
    },
  };
}

/** The sample lines of the request families, in the order written (HELP texts aside). */
function samples(text: string): string[] {
  return text.split('\n').filter((line) => FAMILIES.some((name) => line.startsWith(name) || line.startsWith(`# TYPE ${name} `)));
}

describe('request metrics scraped', () => {
  let upstream: StartedUpstream;
  let gateway: TestGateway;
  const reference = counted();

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({
      providers: {
        up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key', timeoutMs: 30_000, models: { 'm-1': { pricing: { input: 1, output: 2 } } } },
        alt: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'alt-key', timeoutMs: 30_000, models: { 'm-2': { pricing: { input: 3, output: 5 } } } },
      },
      routing: { retries: 0 },
    });
    gateway.server.app.hooks.subscribe({ attemptEnded: (event) => reference.attemptEnded(event), settled: (event) => reference.settled(event) });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('through a gateway: the text prom-client writes when each request is counted on it', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const chat = (model: string, extra: object = {}) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'count me' }], ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    await chat('up/m-1');
    await chat('alt/m-2');
    const stream = await client.chat.completions.create({ model: 'up/m-1', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    for await (const _chunk of stream);
    upstream.script('m-1', { kind: 'error', status: 503 });
    await chat('up/m-1', fallbackTo(['alt/m-2']));
    await expect(chat('nowhere/made-up')).rejects.toMatchObject({ status: 404 });
    // The primary still answers 503, and there is no fallback this time.
    await expect(chat('up/m-1')).rejects.toMatchObject({ status: 503 });
    const scrape = await eventually(async () => {
      const text = await (await fetch(`${gateway.url}/metrics`)).text();
      expect(text).toContain('error_kind="model_not_found"');
      return text;
    });
    const expected = samples(await reference.registry.metrics());
    expect(expected.filter((line) => line.startsWith('tollgate_requests_total{')).length).toBeGreaterThanOrEqual(4);
    expect(samples(scrape)).toEqual(expected);
  });

  it('on bucket edges, above every bucket, and with series first seen in between others', async () => {
    const config = ConfigSchema.parse({ telemetry: { metricsPerKey: true } }).telemetry;
    const metrics = new GatewayMetrics(config, { budgets: async () => [], circuitState: async () => 'closed' });
    const plain = counted(true);
    const latencies = [...BUCKETS.map((bound) => bound * 1000), 0, 0.1, 4.99, 5.01, 121_000, 1e9, 333.3333, 0.3];
    latencies.forEach((latencyMs, index) => {
      const model = ['a/x', 'b/y', 'a/z'][index % 3]!;
      const face = (['openai', 'anthropic'] as const)[index % 2]!;
      const failed = index % 5 === 4;
      const attempts: AttemptRow[] = [
        attemptRow(index, 1, model, failed ? 'upstream_overloaded' : null, 1234 + index),
        ...(index % 4 === 3 ? [attemptRow(index, 2, 'c/w', null, 777)] : []),
      ];
      const request = requestRow(index, face, model, attempts, latencyMs, index % 2 ? latencyMs / 3 : null, index % 7 === 0 ? `key ${index % 3}` : null);
      for (const subscriber of [metrics, plain]) {
        subscriber.attemptEnded?.({ requestId: request.id, seq: 1, model, provider: model.split('/')[0]!, outcome: failed ? 'error' : 'ok', errorKind: failed ? 'upstream_overloaded' : null, latencyMs, ttftMs: null, usage: null, costNanos: null });
        subscriber.settled({ request, attempts });
      }
    });
    expect(samples(await metrics.text())).toEqual(samples(await plain.registry.metrics()));
  });
});

function attemptRow(index: number, seq: number, model: string, errorKind: AttemptRow['errorKind'], costNanos: number): AttemptRow {
  return {
    requestId: `r${index}`,
    seq,
    ts: '2026-01-01T00:00:00.000Z',
    model,
    provider: model.split('/')[0]!,
    status: errorKind ? 'error' : 'ok',
    errorKind,
    errorMessage: null,
    upstreamStatus: null,
    latencyMs: 1,
    ttftMs: null,
    usage: null,
    costNanos,
  };
}

function requestRow(index: number, face: RequestRow['face'], model: string, attempts: AttemptRow[], latencyMs: number, ttftMs: number | null, keyName: string | null): RequestRow {
  const served = attempts.at(-1)!;
  return {
    id: `r${index}`,
    ts: '2026-01-01T00:00:00.000Z',
    face,
    operation: 'chat',
    stream: ttftMs !== null,
    keyId: null,
    keyName,
    user: null,
    tags: [],
    requestedModel: model,
    servedModel: served.status === 'ok' ? served.model : index % 3 === 0 ? null : model,
    provider: served.status === 'ok' ? served.provider : null,
    status: served.status === 'ok' ? 'ok' : 'error',
    errorKind: served.errorKind,
    attempts: attempts.length,
    latencyMs,
    ttftMs,
    usage: { input: index, output: index * 2, cacheRead: index % 3, cacheWrite: 0, reasoning: index % 2 },
    costNanos: attempts.reduce((sum, attempt) => sum + (attempt.costNanos ?? 0), 0),
    cacheHit: index % 6 === 5,
  };
}
