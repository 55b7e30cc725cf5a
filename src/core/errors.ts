/**
 * The one registry of error kinds. Every failure in Tollgate is a GatewayError with a kind from
 * this table; faces render the kind in their protocol's shape and never read the message to
 * decide anything.
 */
export const errorKinds = {
  invalid_request: { status: 400, retryable: false, fallback: false },
  payload_too_large: { status: 413, retryable: false, fallback: false },
  unsupported_media_type: { status: 415, retryable: false, fallback: false },
  not_found: { status: 404, retryable: false, fallback: false },
  model_not_found: { status: 404, retryable: false, fallback: true },
  /** A Responses request continues a response that is not kept (never stored, expired, deleted, or another key's). */
  previous_response_not_found: { status: 404, retryable: false, fallback: false },
  unauthorized: { status: 401, retryable: false, fallback: false },
  forbidden: { status: 403, retryable: false, fallback: false },
  insufficient_budget: { status: 402, retryable: false, fallback: false },
  /** A budget applies to the caller and the model has no known price (config `budgets.unpricedModels`). */
  unpriced_model: { status: 403, retryable: false, fallback: false },
  rate_limited: { status: 429, retryable: false, fallback: false },
  conflict: { status: 409, retryable: false, fallback: false },
  // Upstream kinds: what went wrong between us and a provider.
  upstream_timeout: { status: 504, retryable: false, fallback: true },
  upstream_connection: { status: 502, retryable: true, fallback: true },
  upstream_rate_limited: { status: 429, retryable: true, fallback: true },
  upstream_overloaded: { status: 503, retryable: true, fallback: true },
  upstream_server_error: { status: 502, retryable: false, fallback: true },
  upstream_auth: { status: 502, retryable: false, fallback: true },
  upstream_bad_request: { status: 400, retryable: false, fallback: false },
  upstream_unsupported: { status: 400, retryable: false, fallback: true },
  context_exceeded: { status: 400, retryable: false, fallback: true },
  content_filter: { status: 400, retryable: false, fallback: false },
  stream_interrupted: { status: 502, retryable: false, fallback: false },
  /**
   * The upstream's answer broke a limit (a body, a stream event or a whole stream over its
   * cap): dropped unread. It may have been billed, so never retried on the same candidate.
   */
  upstream_invalid: { status: 502, retryable: false, fallback: true },
  /** Every candidate is skipped by an open circuit breaker. */
  circuit_open: { status: 503, retryable: false, fallback: false },
  /** The shared policy store (budgets, rate limits, idempotency) cannot be reached. */
  store_unavailable: { status: 503, retryable: false, fallback: false },
  /** The gateway is draining before it stops: it finishes what it has and takes nothing new. */
  shutting_down: { status: 503, retryable: false, fallback: false },
  client_closed: { status: 499, retryable: false, fallback: false },
  internal: { status: 500, retryable: false, fallback: false },
} as const satisfies Record<string, { status: number; retryable: boolean; fallback: boolean }>;

export type ErrorKind = keyof typeof errorKinds;

export interface GatewayErrorDetails {
  provider?: string;
  model?: string;
  upstreamStatus?: number;
  /** Seconds the upstream asked us to wait (Retry-After), when it said. */
  retryAfterSeconds?: number;
  /** For insufficient_budget: what is left in the tightest budget, and when it resets. */
  budget?: { scope: string; scopeId: string; limitUsd: number; remainingUsd: number; resetsAt: string | null };
  /** For rate_limited: which window refused. */
  rateLimit?: { limit: number; remaining: number; resetSeconds: number; kind: 'requests' | 'tokens' };
  /** The routing rule that denied or rewrote the request. */
  ruleId?: string;
  /** The failed attempts behind a final error, oldest first. */
  attempts?: Array<{ model: string; provider: string; kind: ErrorKind; message: string }>;
  param?: string;
}

export class GatewayError extends Error {
  readonly kind: ErrorKind;
  readonly details: GatewayErrorDetails;

  constructor(kind: ErrorKind, message: string, details: GatewayErrorDetails = {}) {
    super(message);
    this.name = 'GatewayError';
    this.kind = kind;
    this.details = details;
  }

  get status(): number {
    return errorKinds[this.kind].status;
  }

  /** Safe to try the same candidate again: the upstream provably did not bill this attempt. */
  get retryable(): boolean {
    return errorKinds[this.kind].retryable;
  }

  /** Worth trying the next candidate model or provider. */
  get fallback(): boolean {
    return errorKinds[this.kind].fallback;
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/**
 * A GatewayError of our own under `error`, however a provider package wrapped it (the AI SDK
 * puts what its fetch threw under `cause`, e.g. "Failed to process successful response").
 */
export function ownGatewayError(error: unknown): GatewayError | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof GatewayError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
