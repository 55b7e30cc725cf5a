/**
 * Errors in OpenAI's shape: `{ error: { message, type, param, code } }`, with OpenAI's type
 * strings chosen from the HTTP status and our error kind as `code`. Only the error's own
 * message goes out; anything that is not a GatewayError becomes a generic internal error,
 * because its message may carry details (URLs, headers) that must not reach a client.
 */
import { GatewayError, errorKinds, isGatewayError, type ErrorKind } from '../../core/errors.js';

export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: ErrorKind;
  };
}

export interface RenderedError {
  status: number;
  body: OpenAIErrorBody;
  /** Extra response headers (`retry-after` when the error says how long to wait). */
  headers: Record<string, string>;
}

const INTERNAL_MESSAGE = 'The gateway failed to handle the request. Try again later.';

export function renderError(error: unknown): RenderedError {
  const gatewayError = toGatewayError(error, 'internal', INTERNAL_MESSAGE);
  return {
    status: gatewayError.status,
    body: renderErrorBody(gatewayError),
    headers: retryAfterHeaders(gatewayError),
  };
}

/**
 * The in-band error sent as an SSE `data:` event when a stream fails after its first chunk;
 * the openai client raises it as an APIError. Unknown values become `stream_interrupted`.
 */
export function renderStreamError(error: unknown): OpenAIErrorBody {
  return renderErrorBody(
    toGatewayError(error, 'stream_interrupted', 'The upstream stream was interrupted.'),
  );
}

export function renderErrorBody(error: GatewayError): OpenAIErrorBody {
  return {
    error: {
      message: error.message,
      type: openAIErrorType(error.kind),
      param: error.details.param ?? null,
      code: error.kind,
    },
  };
}

/** `retry-after` (whole seconds, rounded up) when the error carries `retryAfterSeconds`. */
export function retryAfterHeaders(error: unknown): Record<string, string> {
  const seconds = isGatewayError(error) ? error.details.retryAfterSeconds : undefined;
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return {};
  return { 'retry-after': String(Math.ceil(seconds)) };
}

export function openAIErrorType(kind: ErrorKind): string {
  // Named as the contract asks; OpenAI itself says insufficient_quota for its own billing.
  if (kind === 'insufficient_budget') return 'insufficient_budget';
  const status: number = errorKinds[kind].status;
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 429:
      return 'rate_limit_error';
    case 500:
      return 'server_error';
    default:
      return status >= 500 || status === 499 ? 'api_error' : 'invalid_request_error';
  }
}

function toGatewayError(error: unknown, kind: ErrorKind, message: string): GatewayError {
  return isGatewayError(error) ? error : new GatewayError(kind, message);
}
