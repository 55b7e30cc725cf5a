import { APICallError, InvalidArgumentError, InvalidPromptError, NoSuchModelError, UnsupportedFunctionalityError } from '@ai-sdk/provider';
import { GatewayError, ownGatewayError, type ErrorKind } from './errors.js';

/** Error codes undici and Node give when no connection was made: the request never left. */
const connectCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** The connection broke after the request may have been sent: not provably unbilled. */
const brokenCodes = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Upstream error codes that name the failure better than the HTTP status does. */
const codeKinds: Record<string, ErrorKind> = {
  context_length_exceeded: 'context_exceeded',
  string_above_max_length: 'context_exceeded',
  content_filter: 'content_filter',
  content_policy_violation: 'content_filter',
  insufficient_quota: 'upstream_auth',
  invalid_api_key: 'upstream_auth',
  model_not_found: 'model_not_found',
  overloaded_error: 'upstream_overloaded',
  rate_limit_error: 'upstream_rate_limited',
  RESOURCE_EXHAUSTED: 'upstream_rate_limited',
  UNAVAILABLE: 'upstream_overloaded',
  DEADLINE_EXCEEDED: 'upstream_timeout',
};

/** Messages some providers give for a prompt over the context window, where they send no code. */
const contextMessages = /prompt is too long|maximum context length|context window|too many tokens|input is too long/i;

export function statusKind(status: number): ErrorKind {
  if (status === 401 || status === 403) return 'upstream_auth';
  if (status === 404) return 'model_not_found';
  if (status === 408) return 'upstream_timeout';
  if (status === 413) return 'context_exceeded';
  if (status === 429) return 'upstream_rate_limited';
  if (status === 503 || status === 529) return 'upstream_overloaded';
  if (status >= 500) return 'upstream_server_error';
  return 'upstream_bad_request';
}

/**
 * Turns whatever an upstream call threw into a GatewayError whose kind decides retry and
 * fallback. Messages kept here are the upstream's, whole: the router redacts secrets from them
 * and only then cuts them (a secret cut in two would no longer be recognised).
 */
/**
 * `now` (ms since the epoch) is what a `retry-after` given as an HTTP date is measured from:
 * the gateway's clock, so a test can fix it.
 */
export function classifyUpstreamError(error: unknown, where: { provider: string; model: string }, now: number = Date.now()): GatewayError {
  const own = ownGatewayError(error);
  if (own) return own;
  if (APICallError.isInstance(error)) return fromApiCallError(error, where, now);
  // The provider package refused the request before sending it: this provider cannot take this
  // request's shape (another one may), not an upstream failure.
  if (UnsupportedFunctionalityError.isInstance(error) || InvalidPromptError.isInstance(error) || InvalidArgumentError.isInstance(error)) {
    return new GatewayError('upstream_unsupported', `provider ${where.provider} cannot take this request: ${error.message}`, where);
  }
  if (NoSuchModelError.isInstance(error)) {
    return new GatewayError('model_not_found', `model ${where.model} is not served by provider ${where.provider}`, where);
  }
  const code = errorCode(error);
  if (code && connectCodes.has(code)) {
    return new GatewayError('upstream_connection', `could not connect to provider ${where.provider} (${code})`, where);
  }
  if (code && brokenCodes.has(code)) {
    return new GatewayError('upstream_server_error', `connection to provider ${where.provider} broke (${code})`, where);
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new GatewayError('upstream_timeout', `provider ${where.provider} did not answer in time`, where);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError('upstream_server_error', `provider ${where.provider} failed: ${message}`, where);
}

function fromApiCallError(error: APICallError, where: { provider: string; model: string }, now: number): GatewayError {
  const status = error.statusCode;
  const cause = errorCode(error.cause);
  if (status === undefined) {
    if (cause && connectCodes.has(cause)) {
      return new GatewayError('upstream_connection', `could not connect to provider ${where.provider} (${cause})`, where);
    }
    const kind: ErrorKind = isAbort(error.cause) ? 'upstream_timeout' : 'upstream_server_error';
    return new GatewayError(kind, `provider ${where.provider} failed: ${error.message}`, where);
  }
  if (status >= 200 && status < 300) {
    // The upstream accepted the call, then its body could not be read (a stream cut before any
    // content): nothing reached the client, so the next candidate may serve it.
    return new GatewayError('upstream_server_error', `provider ${where.provider} broke off its answer: ${error.message}`, { ...where, upstreamStatus: status });
  }
  const upstreamCode = bodyCode(error.responseBody);
  let kind = (upstreamCode && codeKinds[upstreamCode]) || statusKind(status);
  if (kind === 'upstream_bad_request' && contextMessages.test(error.message)) kind = 'context_exceeded';
  const retryAfterSeconds = retryAfter(error.responseHeaders, now);
  return new GatewayError(kind, `provider ${where.provider} answered ${status}: ${error.message}`, {
    ...where,
    upstreamStatus: status,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}

/** The `code` (OpenAI), `error.type` (Anthropic) or `status` (Gemini) of an upstream error body. */
export function bodyCode(body: string | undefined): string | undefined {
  if (!body || body.length > 65_536) return undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; type?: unknown; status?: unknown } };
    const inner = parsed.error;
    if (!inner || typeof inner !== 'object') return undefined;
    for (const candidate of [inner.code, inner.type, inner.status]) {
      if (typeof candidate === 'string' && codeKinds[candidate]) return candidate;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Seconds to wait, from `retry-after` as delay-seconds or as an HTTP date (measured from `now`). */
export function retryAfter(headers: Record<string, string | string[] | undefined> | undefined, now: number = Date.now()): number | undefined {
  const raw = headers?.['retry-after'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
