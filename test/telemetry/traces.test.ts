/**
 * Traces reach an OTLP/HTTP receiver the test runs: a span per request and one per upstream
 * attempt with the GenAI attributes and the cost, the client's `traceparent` continued, and each
 * attempt's own `traceparent` received by the upstream.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values: OtlpValue[] };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: OtlpValue }>;
  status?: { code?: number };
}

function plain(value: OtlpValue): unknown {
  if (value.arrayValue) return value.arrayValue.values.map(plain);
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.doubleValue ?? value.boolValue;
}
const attributes = (span: OtlpSpan) => Object.fromEntries(span.attributes.map(({ key, value }) => [key, plain(value)]));

/** A loopback OTLP/HTTP receiver (JSON encoding), keeping every span it is sent. */
async function startCollector(): Promise<{ url: string; spans: OtlpSpan[]; services: string[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const services: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      expect(req.url).toBe('/v1/traces');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: OtlpValue }> }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
      };
      for (const resource of body.resourceSpans) {
        const service = resource.resource.attributes.find((attribute) => attribute.key === 'service.name');
        if (service) services.push(String(plain(service.value)));
        for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, services, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let upstream: StartedUpstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

describe('OpenTelemetry traces', () => {
  it('a request span continuing the client trace, an attempt span per attempt, and traceparent sent upstream', { timeout: 30_000 }, async () => {
    const collector = await startCollector();
    upstream.script('primary', { kind: 'error', status: 503 });
    upstream.script('gpt-4o-mini', { kind: 'usage', usage: { inputTokens: 12, outputTokens: 7 } });
    const pricing = { input: 1, output: 2 };
    const gateway = await startGateway(
      {
        providers: {
          up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-secret-key', timeoutMs: 30_000, models: { primary: { pricing }, 'gpt-4o-mini': { pricing } } },
        },
        routing: { retries: 0 },
      },
      { env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'tollgate-under-test' } },
    );
    let closed = false;
    try {
      const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const completion = await client.chat.completions.create(
        { model: 'up/primary', messages: [{ role: 'user', content: 'a secret prompt' }], providerOptions: { gateway: { models: ['up/gpt-4o-mini'] } } } as never,
        { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } },
      );
      expect(completion.choices[0]?.finish_reason).toBe('stop');
      // Closing flushes the spans still buffered: no waiting on the exporter's schedule.
      await gateway.close();
      closed = true;

      expect(collector.services).toContain('tollgate-under-test');
      const request = collector.spans.find((span) => span.kind === 2)!;
      expect(request).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: CLIENT_SPAN, name: 'chat up/primary' });
      expect(attributes(request)).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'up/primary',
        'gen_ai.response.model': 'up/gpt-4o-mini',
        'gen_ai.provider.name': 'up',
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.usage.output_tokens': 7,
        'tollgate.attempts': 2,
      });
      expect(attributes(request)['tollgate.cost_usd']).toBeCloseTo((12 * 1 + 7 * 2) / 1e6, 12);

      const attempts = collector.spans.filter((span) => span.kind === 3).sort((a, b) => Number(attributes(a)['tollgate.attempt']) - Number(attributes(b)['tollgate.attempt']));
      expect(attempts).toHaveLength(2);
      for (const attempt of attempts) expect(attempt).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: request.spanId });
      expect(attributes(attempts[0]!)).toMatchObject({ 'gen_ai.request.model': 'up/primary', 'gen_ai.provider.name': 'up', 'error.type': 'upstream_overloaded' });
      expect(attempts[0]!.status?.code).toBe(2);
      expect(attributes(attempts[1]!)).toMatchObject({
        'gen_ai.request.model': 'up/gpt-4o-mini',
        'gen_ai.response.model': 'up/gpt-4o-mini',
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.usage.output_tokens': 7,
        'gen_ai.response.finish_reasons': ['stop'],
      });

      // Each upstream call carried its own attempt's span as parent, in the client's trace.
      const sent = upstream.requests.map((received) => received.headers.traceparent);
      expect(sent).toEqual(attempts.map((attempt) => `00-${CLIENT_TRACE}-${attempt.spanId}-01`));

      // No prompt text and no secret on any span.
      const everything = JSON.stringify(collector.spans);
      expect(everything).not.toContain('a secret prompt');
      expect(everything).not.toContain('up-secret-key');
    } finally {
      if (!closed) await gateway.close();
      await collector.close();
    }
  });

  it('an MCP tool call is a span with the tool name, continuing the client trace, and the request it makes is its child', { timeout: 30_000 }, async () => {
    upstream.reset();
    const collector = await startCollector();
    upstream.script('gpt-4o-mini', { kind: 'usage', usage: { inputTokens: 5, outputTokens: 3 } });
    const gateway = await startGateway(
      { providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-secret-key', timeoutMs: 30_000 } } },
      { env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } },
    );
    let closed = false;
    try {
      const client = new Client({ name: 'traces-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), { requestInit: { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } } }));
      const result = await client.callTool({ name: 'chat', arguments: { model: 'up/gpt-4o-mini', prompt: 'a secret tool prompt' } });
      expect(result.isError).toBeFalsy();
      const refused = await client.callTool({ name: 'chat', arguments: { model: 'nowhere/no-such-model', prompt: 'hi' } });
      expect(refused.isError).toBe(true);
      await client.close();
      await gateway.close();
      closed = true;

      const tools = collector.spans.filter((span) => span.name === 'execute_tool chat');
      expect(tools).toHaveLength(2);
      for (const tool of tools) {
        expect(tool).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: CLIENT_SPAN, kind: 2 });
        expect(attributes(tool)).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'chat', 'tollgate.face': 'mcp' });
      }
      const [ok, failed] = tools;
      expect(ok!.status?.code ?? 0).toBe(0);
      expect(failed!.status?.code).toBe(2);
      expect(attributes(failed!)['error.type']).toBe('tool_error');

      const request = collector.spans.find((span) => span.name === 'chat up/gpt-4o-mini' && span.kind === 2)!;
      expect(request).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: ok!.spanId });
      expect(attributes(request)).toMatchObject({ 'tollgate.face': 'mcp', 'gen_ai.usage.output_tokens': 3 });
      expect(JSON.stringify(collector.spans)).not.toContain('a secret tool prompt');
    } finally {
      if (!closed) await gateway.close();
      await collector.close();
    }
  });

  it('without the OTEL variables no traceparent is sent upstream', async () => {
    upstream.reset();
    const gateway = await startGateway({ providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key', timeoutMs: 30_000 } } });
    try {
      const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      await client.chat.completions.create({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } });
      expect(upstream.requests.map((received) => received.headers.traceparent)).toEqual([undefined]);
    } finally {
      await gateway.close();
    }
  });
});
