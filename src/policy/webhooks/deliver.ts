import type { Dispatcher } from 'undici';
import { request } from '../../http/undici.js';
import { parseRetryAfter } from './backoff.js';
import type { WebhookHeaders } from './sign.js';

export type AttemptOutcome =
  | { ok: true; status: number }
  | { ok: false; status: number | null; error: string; retryable: boolean; retryAfterMs?: number };

export interface AttemptInput {
  url: string;
  body: string;
  headers: WebhookHeaders;
  timeoutMs: number;
  dispatcher: Dispatcher;
  /** Aborts the attempt early (shutdown). */
  signal: AbortSignal;
  /** The sink's clock (ms since the epoch): a Retry-After date is measured from it. */
  now: () => number;
}

/** Largest response body read (and discarded) so the connection can be reused. */
const drainLimit = 64 * 1024;

/**
 * One POST. Success is any 2xx; redirects are not followed (undici's `request` never does
 * without an interceptor), a 3xx is a failure telling the operator to fix the URL. A 410 means
 * the receiver wants no more, so it is not retried.
 */
export async function attemptDelivery(input: AttemptInput): Promise<AttemptOutcome> {
  const timeout = AbortSignal.timeout(input.timeoutMs);
  const signal = AbortSignal.any([timeout, input.signal]);
  try {
    const response = await request(input.url, {
      method: 'POST',
      headers: { ...input.headers, 'content-type': 'application/json' },
      body: input.body,
      signal,
      dispatcher: input.dispatcher,
    });
    await response.body.dump({ limit: drainLimit, signal }).catch(() => undefined);
    const status = response.statusCode;
    if (status >= 200 && status < 300) return { ok: true, status };
    return {
      ok: false,
      status,
      error: status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`,
      retryable: status !== 410,
      retryAfterMs: parseRetryAfter(response.headers['retry-after'], input.now()),
    };
  } catch (error) {
    if (timeout.aborted) return { ok: false, status: null, error: `timed out after ${input.timeoutMs} ms`, retryable: true };
    if (input.signal.aborted) return { ok: false, status: null, error: 'aborted: shutting down', retryable: false };
    return { ok: false, status: null, error: describeNetworkError(error), retryable: true };
  }
}

/** The error's code and message only (undici errors carry no request headers); the sink redacts, then cuts it. */
function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return 'request failed';
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const code = (error as NodeJS.ErrnoException).code ?? (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = cause?.message ?? error.message;
  return code ? `${code}: ${message}` : message;
}
