/**
 * Errors in Anthropic's shape: `{ type: 'error', error: { type, message, details }, request_id }`,
 * with Anthropic's error type chosen from the kind's HTTP status and Tollgate's kind in
 * `error.details.error_code` (where Anthropic's SDK reads a machine-readable code as
 * `APIError.errorCode`). Only a GatewayError's own message goes out; anything else becomes a
 * generic error, because its message may carry details that must not reach a client.
 */
import { GatewayError, errorKinds, isGatewayError, type ErrorKind } from '../../core/errors.js';
import { retryAfterHeaders } from '../openai/render-error.js';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'timeout_error'
  | 'api_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: {
    type: AnthropicErrorType;
    message: string;
    details: { error_code: ErrorKind; param?: string };
  };
  request_id: string | null;
}

export interface RenderedError {
  status: number;
  body: AnthropicErrorBody;
  /** `retry-after` when the error says how long to wait. */
  headers: Record<string, string>;
}

const INTERNAL_MESSAGE = 'The gateway failed to handle the request. Try again later.';

export function renderError(error: unknown, requestId: string | null = null): RenderedError {
  const failure = isGatewayError(error) ? error : new GatewayError('internal', INTERNAL_MESSAGE);
  return { status: failure.status, body: renderErrorBody(failure, requestId), headers: retryAfterHeaders(failure) };
}

/** The in-band `event: error` of a stream that fails after it started; unknown values are `stream_interrupted`. */
export function renderStreamError(error: unknown, requestId: string | null = null): AnthropicErrorBody {
  const failure = isGatewayError(error) ? error : new GatewayError('stream_interrupted', 'The upstream stream was interrupted.');
  return renderErrorBody(failure, requestId);
}

export function renderErrorBody(error: GatewayError, requestId: string | null): AnthropicErrorBody {
  return {
    type: 'error',
    error: {
      type: anthropicErrorType(error.kind),
      message: error.message,
      details: { error_code: error.kind, ...(error.details.param ? { param: error.details.param } : {}) },
    },
    request_id: requestId,
  };
}

/** Anthropic's documented type for each status (docs: "HTTP errors"); other 4xx are invalid_request_error. */
export function anthropicErrorType(kind: ErrorKind): AnthropicErrorType {
  const status: number = errorKinds[kind].status;
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 500 || status === 499 ? 'api_error' : 'invalid_request_error';
  }
}
