/**
 * What an operator sees of each request: one access-log line, and Prometheus counters that move
 * by exactly one, through every face and its official client; a fallback shows both attempts
 * and counts one fallback; `/metrics` is guarded like the admin API when auth is on.
 */
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACES_UNDER_TEST, PRICE, standardProviders, startRig, type Rig } from './telemetry-rig.js';
import { eventually, startGateway } from '../support/gateway.js';

const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

let rig: Rig;
beforeAll(async () => {
  // `calm` has patient timeouts: on a loaded machine a first answer may take longer than the rig's fast providers allow.
  rig = await startRig(
    (url) => ({
      providers: {
        ...standardProviders(url, ['primary', 'fallback']),
        calm: { kind: 'openai-compatible', baseURL: `${url}/v1`, apiKey: 'calm-key', timeoutMs: 30_000, models: { 'gpt-4o-mini': { pricing: PRICE } } },
      },
      routing: { retries: 0 },
    }),
    {
      logger: pino({ level: 'info' }, sink),
    },
  );
});
afterAll(() => rig?.close());

async function scrape(url: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${url}/metrics`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

/** The sum of the series of a metric that carry these labels (0 when there is none yet). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([label, value]) => line.includes(`${label}="${value}"`));
    if (wanted) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const accessLines = (requestId: string) => lines.filter((line) => line.msg === 'request' && line.requestId === requestId);

describe('access log and metrics', () => {
  for (const face of FACES_UNDER_TEST) {
    for (const stream of [false, true]) {
      it(`${face}${stream ? ' (stream)' : ''}: one access-log line, and each counter moves by exactly one`, async () => {
        const before = await scrape(rig.gateway.url);
        const { outcome, row } = await rig.ask(face, { model: 'calm/gpt-4o-mini', stream, prompt: 'count me' });
        expect(outcome.ok).toBe(true);
        const ledger = await row();
        const line = await eventually(() => {
          const found = accessLines(ledger.id);
          expect(found).toHaveLength(1);
          return found[0]!;
        });
        expect(line).toMatchObject({
          level: 30,
          requestId: ledger.id,
          model: 'calm/gpt-4o-mini',
          servedModel: 'calm/gpt-4o-mini',
          provider: 'calm',
          status: 'ok',
          errorKind: null,
          stream,
          attempts: [{ model: 'calm/gpt-4o-mini', status: 'ok' }],
          tokens: { input: ledger.usage.input, output: ledger.usage.output },
        });
        expect(line.costUsd).toBeCloseTo(ledger.costNanos! / 1e9, 12);
        expect(typeof line.latencyMs).toBe('number');
        if (stream) expect(typeof line.ttftMs).toBe('number');
        const after = await scrape(rig.gateway.url);
        const series = { face: ledger.face, model: 'calm/gpt-4o-mini', provider: 'calm', status: 'ok' };
        expect(sample(after, 'tollgate_requests_total', series) - sample(before, 'tollgate_requests_total', series)).toBe(1);
        expect(
          sample(after, 'tollgate_upstream_attempts_total', { model: 'calm/gpt-4o-mini', outcome: 'ok' }) -
            sample(before, 'tollgate_upstream_attempts_total', { model: 'calm/gpt-4o-mini', outcome: 'ok' }),
        ).toBe(1);
        expect(sample(after, 'tollgate_request_duration_seconds_count') - sample(before, 'tollgate_request_duration_seconds_count')).toBe(1);
        expect(
          sample(after, 'tollgate_tokens_total', { model: 'calm/gpt-4o-mini', type: 'output' }) - sample(before, 'tollgate_tokens_total', { model: 'calm/gpt-4o-mini', type: 'output' }),
        ).toBe(ledger.usage.output);
        expect(sample(after, 'tollgate_requests_in_flight')).toBe(0);
      });
    }
  }

  it('an MCP tool call: one tool-call line with the tool name, and the request it made has its own line', async () => {
    const client = new Client({ name: 'access-log-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', rig.gateway.url)));
    try {
      const before = lines.length;
      const result = await client.callTool({ name: 'chat', arguments: { model: 'calm/gpt-4o-mini', prompt: 'count this tool call' } });
      expect(result.isError).toBeFalsy();
      const failed = await client.callTool({ name: 'chat', arguments: { model: 'made/up-model', prompt: 'no such model' } });
      expect(failed.isError).toBe(true);
      const toolLines = await eventually(() => {
        const found = lines.slice(before).filter((line) => line.msg === 'tool call');
        expect(found).toHaveLength(2);
        return found;
      });
      expect(toolLines[0]).toMatchObject({ level: 30, face: 'mcp', tool: 'chat', status: 'ok' });
      expect(toolLines[1]).toMatchObject({ level: 30, face: 'mcp', tool: 'chat', status: 'error' });
      for (const line of toolLines) expect(typeof line.latencyMs).toBe('number');
      expect(toolLines[0]!.callId).not.toBe(toolLines[1]!.callId);
      expect(lines.slice(before).filter((line) => line.msg === 'request' && line.face === 'mcp' && line.model === 'calm/gpt-4o-mini')).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('a fallback: both attempts in the line, one failed attempt and one fallback counted, the cost on the served model', async () => {
    rig.upstream.script('primary', { kind: 'error', status: 503 });
    rig.upstream.script('fallback', { kind: 'usage', usage: { inputTokens: 100, outputTokens: 50 } });
    const before = await scrape(rig.gateway.url);
    const { outcome, row } = await rig.ask('openai-chat', { model: 'up/primary', fallbacks: ['alt/fallback'], stream: false });
    expect(outcome.ok).toBe(true);
    const ledger = await row();
    const line = await eventually(() => accessLines(ledger.id)[0]!);
    expect(line).toMatchObject({
      model: 'up/primary',
      servedModel: 'alt/fallback',
      attempts: [
        { model: 'up/primary', status: 'error', errorKind: 'upstream_overloaded' },
        { model: 'alt/fallback', status: 'ok' },
      ],
    });
    const after = await scrape(rig.gateway.url);
    expect(sample(after, 'tollgate_fallbacks_total') - sample(before, 'tollgate_fallbacks_total')).toBe(1);
    const failed = { model: 'up/primary', outcome: 'upstream_overloaded' };
    expect(sample(after, 'tollgate_upstream_attempts_total', failed) - sample(before, 'tollgate_upstream_attempts_total', failed)).toBe(1);
    const cost = { model: 'alt/fallback', provider: 'alt' };
    expect(sample(after, 'tollgate_cost_usd_total', cost) - sample(before, 'tollgate_cost_usd_total', cost)).toBeCloseTo((100 * PRICE.input + 50 * PRICE.output) / 1e6, 12);
    expect(after).toMatch(/tollgate_circuit_state\{model="up\/primary"\} 0/);
  });

  it('a request held upstream counts in flight until it ends', async () => {
    rig.upstream.script('held', { kind: 'hang' });
    const abort = new AbortController();
    const pending = fetch(`${rig.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up/held', messages: [{ role: 'user', content: 'wait' }] }),
      signal: abort.signal,
    }).catch((error: unknown) => error);
    await eventually(async () => expect(sample(await scrape(rig.gateway.url), 'tollgate_requests_in_flight')).toBe(1));
    abort.abort();
    await pending;
    await eventually(async () => expect(sample(await scrape(rig.gateway.url), 'tollgate_requests_in_flight')).toBe(0));
  });

  it('an unknown model is labelled other, not by the name the client made up', async () => {
    const response = await fetch(`${rig.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'made/up-name-1234', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(404);
    const text = await scrape(rig.gateway.url);
    expect(text).not.toContain('up-name-1234');
    expect(sample(text, 'tollgate_requests_total', { model: 'other', status: 'error', error_kind: 'model_not_found' })).toBeGreaterThanOrEqual(1);
  });
});

describe('/metrics with auth on', () => {
  it('needs the admin key or the metrics token; a virtual key is refused', async () => {
    const gateway = await startGateway({}, { env: { TOLLGATE_ADMIN_KEY: 'admin-secret-key', TOLLGATE_METRICS_TOKEN: 'scrape-token-123' } });
    try {
      const created = await fetch(`${gateway.url}/v1/admin/keys`, {
        method: 'POST',
        headers: { authorization: 'Bearer admin-secret-key', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'ci' }),
      });
      const { key } = (await created.json()) as { key: string };
      const none = await fetch(`${gateway.url}/metrics`);
      expect(none.status).toBe(401);
      expect(await none.json()).toMatchObject({ error: { type: 'authentication_error' } });
      const virtual = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${key}` } });
      expect(virtual.status).toBe(403);
      const wrong = await fetch(`${gateway.url}/metrics`, { headers: { authorization: 'Bearer scrape-token-999' } });
      expect(wrong.status).toBe(401);
      expect(await scrape(gateway.url, { authorization: 'Bearer scrape-token-123' })).toContain('# TYPE tollgate_requests_total counter');
      expect(await scrape(gateway.url, { authorization: 'Bearer admin-secret-key' })).toContain('tollgate_requests_in_flight');
    } finally {
      await gateway.close();
    }
  });

  it('is not served when config turns metrics off', async () => {
    const gateway = await startGateway({ telemetry: { metrics: false } });
    try {
      expect((await fetch(`${gateway.url}/metrics`)).status).toBe(404);
    } finally {
      await gateway.close();
    }
  });
});
