/**
 * OpenTelemetry traces, switched on by the standard `OTEL_*` variables. Nothing of the SDK is
 * loaded unless they ask for it: `tracingWanted` reads only the environment, and the SDK comes
 * in through a dynamic import.
 */
import type { Hooks } from '../core/hooks.js';

export interface Tracing {
  /** Sends the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

/** Traces are wanted when an OTLP endpoint is named and neither the SDK nor the trace exporter is switched off. */
export function tracingWanted(env: Record<string, string | undefined>): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

export async function startTracing(env: Record<string, string | undefined>, hooks: Hooks, version: string): Promise<Tracing | undefined> {
  if (!tracingWanted(env)) return undefined;
  const { startGenAiTracing } = await import('./genai-spans.js');
  return startGenAiTracing(env, hooks, version);
}
