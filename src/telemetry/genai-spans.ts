/**
 * One span per request and one child span per upstream attempt, named and attributed after the
 * OpenTelemetry GenAI semantic conventions, plus Tollgate's cost and error kind. The client's
 * `traceparent` is continued, and each attempt's own is sent upstream. Prompt and answer text
 * are never put on a span.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AttemptEnded, AttemptStarted, Hooks, RequestReceived, RequestSettled, ToolEnded, ToolStarted } from '../core/hooks.js';
import type { RequestRow } from '../store/types.js';
import type { Tracing } from './tracing.js';

const OPERATION: Record<RequestRow['operation'], string> = {
  chat: 'chat',
  embed: 'embeddings',
  rerank: 'rerank',
  image: 'generate_content',
  speech: 'generate_content',
  transcription: 'generate_content',
};

/** A request or tool call whose settlement never comes must not keep its span for ever. */
const MAX_OPEN_SPANS = 10_000;

const propagator = new W3CTraceContextPropagator();
const carrierGetter = {
  get: (carrier: Record<string, string>, key: string) => carrier[key],
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
};
const carrierSetter = { set: (carrier: Record<string, string>, key: string, value: string) => void (carrier[key] = value) };

function tracesUrl(env: Record<string, string | undefined>): string {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return `${env.OTEL_EXPORTER_OTLP_ENDPOINT!.replace(/\/+$/, '')}/v1/traces`;
}

function positiveInt(value: string | undefined): number | undefined {
  const parsed = value === undefined ? NaN : Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : undefined;
}

export function startGenAiTracing(env: Record<string, string | undefined>, hooks: Hooks, version: string): Tracing {
  const scheduledDelayMillis = positiveInt(env.OTEL_BSP_SCHEDULE_DELAY);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || 'tollgate', 'service.version': version }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(env) }), scheduledDelayMillis ? { scheduledDelayMillis } : {})],
  });
  hooks.subscribe(new GenAiSpans(provider.getTracer('tollgate', version)));
  return { shutdown: () => provider.shutdown() };
}

interface OpenRequest {
  span: Span;
  context: Context;
  operation: string;
}

class GenAiSpans {
  private readonly requests = new Map<string, OpenRequest>();
  private readonly attempts = new Map<string, Span>();
  private readonly tools = new Map<string, Span>();

  constructor(private readonly tracer: Tracer) {}

  requestReceived(event: RequestReceived): void {
    const parent = event.traceparent ? propagator.extract(ROOT_CONTEXT, { traceparent: event.traceparent }, carrierGetter) : ROOT_CONTEXT;
    const operation = OPERATION[event.operation];
    const span = this.tracer.startSpan(
      `${operation} ${event.model}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'gen_ai.operation.name': operation,
          'gen_ai.request.model': event.model,
          'tollgate.request_id': event.requestId,
          'tollgate.face': event.face,
          'tollgate.stream': event.stream,
        },
      },
      parent,
    );
    bounded(this.requests, event.requestId, { span, context: trace.setSpan(parent, span), operation }, (open) => open.span.end());
  }

  attemptStarted(event: AttemptStarted): void {
    const request = this.requests.get(event.requestId);
    if (!request) return;
    const span = this.tracer.startSpan(
      `${request.operation} ${event.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': request.operation,
          'gen_ai.provider.name': event.provider,
          'gen_ai.request.model': event.model,
          'tollgate.attempt': event.seq,
        },
      },
      request.context,
    );
    propagator.inject(trace.setSpan(request.context, span), event.upstreamHeaders, carrierSetter);
    bounded(this.attempts, `${event.requestId}#${event.seq}`, span, (open) => open.end());
  }

  attemptEnded(event: AttemptEnded): void {
    const key = `${event.requestId}#${event.seq}`;
    const span = this.attempts.get(key);
    if (!span) return;
    this.attempts.delete(key);
    if (event.outcome === 'ok' || event.outcome === 'cancelled' || event.usage) span.setAttribute('gen_ai.response.model', event.model);
    if (event.usage) {
      span.setAttribute('gen_ai.usage.input_tokens', event.usage.input);
      span.setAttribute('gen_ai.usage.output_tokens', event.usage.output);
    }
    if (event.finishReasons?.length) span.setAttribute('gen_ai.response.finish_reasons', event.finishReasons);
    if (event.costNanos !== null) span.setAttribute('tollgate.cost_usd', event.costNanos / 1e9);
    if (event.ttftMs !== null) span.setAttribute('tollgate.ttft_ms', event.ttftMs);
    ended(span, event.errorKind);
  }

  settled({ request }: RequestSettled): void {
    const open = this.requests.get(request.id);
    if (!open) return;
    this.requests.delete(request.id);
    const span = open.span;
    if (request.servedModel) span.setAttribute('gen_ai.response.model', request.servedModel);
    if (request.provider) span.setAttribute('gen_ai.provider.name', request.provider);
    span.setAttribute('gen_ai.usage.input_tokens', request.usage.input);
    span.setAttribute('gen_ai.usage.output_tokens', request.usage.output);
    span.setAttribute('tollgate.attempts', request.attempts);
    span.setAttribute('tollgate.status', request.status);
    if (request.costNanos !== null) span.setAttribute('tollgate.cost_usd', request.costNanos / 1e9);
    if (request.keyName) span.setAttribute('tollgate.key', request.keyName);
    ended(span, request.errorKind);
  }

  toolStarted(event: ToolStarted): void {
    const parent = event.traceparent ? propagator.extract(ROOT_CONTEXT, { traceparent: event.traceparent }, carrierGetter) : context.active();
    const span = this.tracer.startSpan(
      `execute_tool ${event.tool}`,
      { kind: SpanKind.SERVER, attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': event.tool, 'tollgate.face': 'mcp' } },
      parent,
    );
    propagator.inject(trace.setSpan(parent, span), event.traceHeaders, carrierSetter);
    bounded(this.tools, event.callId, span, (open) => open.end());
  }

  toolEnded(event: ToolEnded): void {
    const span = this.tools.get(event.callId);
    if (!span) return;
    this.tools.delete(event.callId);
    ended(span, event.isError ? 'tool_error' : null);
  }
}

function ended(span: Span, errorKind: string | null): void {
  if (errorKind) {
    span.setAttribute('error.type', errorKind);
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorKind });
  }
  span.end();
}

function bounded<T>(map: Map<string, T>, key: string, value: T, evict: (value: T) => void): void {
  if (map.size >= MAX_OPEN_SPANS) {
    const [oldestKey, oldest] = map.entries().next().value as [string, T];
    map.delete(oldestKey);
    evict(oldest);
  }
  map.set(key, value);
}
