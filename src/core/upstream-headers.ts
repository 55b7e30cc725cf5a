import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Headers an attempt sends upstream beside the provider's own (trace context), carried to the
 * provider's fetch through the attempt's async context: the provider packages build their
 * requests themselves, so there is no argument to pass them in.
 */
const current = new AsyncLocalStorage<Readonly<Record<string, string>>>();

/** Runs `run` with `headers` for its upstream calls; with none, runs it as is (no context cost). */
export function withUpstreamHeaders<T>(headers: Readonly<Record<string, string>>, run: () => T): T {
  for (const _ in headers) return current.run(headers, run);
  return run();
}

/** The headers of the attempt running now, if it has any. */
export function upstreamHeaders(): Readonly<Record<string, string>> | undefined {
  return current.getStore();
}
