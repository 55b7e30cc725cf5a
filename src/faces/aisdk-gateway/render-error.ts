/**
 * Errors in the shape the `@ai-sdk/gateway` client parses (`gatewayErrorResponseSchema` in its
 * `errors/create-gateway-error.ts`): `{ error: { message, type, param, code }, generationId }`.
 * The client picks its error class from `type`:
 *
 *   authentication_error → GatewayAuthenticationError      invalid_request_error → GatewayInvalidRequestError
 *   rate_limit_exceeded  → GatewayRateLimitError           model_not_found → GatewayModelNotFoundError (param.modelId)
 *   forbidden            → GatewayForbiddenError (param.ruleId)   failed_dependency → GatewayFailedDependencyError
 *   internal_server_error, or any other type → GatewayInternalServerError
 *
 * and keeps the HTTP status as `statusCode` and our message (plus ` [generationId]`). Our error
 * kind rides in `code`. Only a GatewayError's own message goes out.
 */
import { GatewayError, errorKinds, isGatewayError, type ErrorKind } from '../../core/errors.js';

export interface GatewayErrorWire {
  error: { message: string; type: string; param: unknown; code: ErrorKind };
  generationId?: string;
}

export interface RenderedGatewayError {
  status: number;
  body: GatewayErrorWire;
  headers: Record<string, string>;
}

const INTERNAL_MESSAGE = 'The gateway failed to handle the request. Try again later.';

export function renderGatewayError(error: unknown, requestId?: string): RenderedGatewayError {
  const failure = isGatewayError(error) ? error : new GatewayError('internal', INTERNAL_MESSAGE);
  const seconds = failure.details.retryAfterSeconds;
  return {
    status: failure.status,
    body: { ...errorBody(failure), ...(requestId ? { generationId: requestId } : {}) },
    headers: seconds != null && Number.isFinite(seconds) && seconds >= 0 ? { 'retry-after': String(Math.ceil(seconds)) } : {},
  };
}

/** The error of an in-band `{ type: 'error' }` stream part, after the stream has started. */
export function streamErrorValue(error: unknown): GatewayErrorWire['error'] & { statusCode: number } {
  const failure = isGatewayError(error) ? error : new GatewayError('stream_interrupted', 'The upstream stream was interrupted.');
  return { ...errorBody(failure).error, statusCode: failure.status };
}

function errorBody(error: GatewayError): GatewayErrorWire {
  return { error: { message: error.message, type: gatewayErrorType(error.kind), param: errorParam(error), code: error.kind } };
}

export function gatewayErrorType(kind: ErrorKind): string {
  switch (kind) {
    case 'unauthorized':
      return 'authentication_error';
    case 'forbidden':
    case 'unpriced_model':
      return 'forbidden';
    case 'model_not_found':
      return 'model_not_found';
    case 'rate_limited':
    case 'upstream_rate_limited':
      return 'rate_limit_exceeded';
    case 'insufficient_budget':
      // No class of the client's fits; it becomes GatewayInternalServerError with status 402.
      return 'insufficient_budget';
    case 'internal':
      return 'internal_server_error';
    default: {
      const status: number = errorKinds[kind].status;
      // 5xx kinds are provider-side failures (timeouts, outages, broken streams, open circuits).
      return status >= 500 ? 'failed_dependency' : 'invalid_request_error';
    }
  }
}

function errorParam(error: GatewayError): unknown {
  if (error.kind === 'model_not_found' && error.details.model) return { modelId: error.details.model };
  if (error.kind === 'forbidden' && error.details.ruleId) return { ruleId: error.details.ruleId };
  return error.details.param ?? null;
}
