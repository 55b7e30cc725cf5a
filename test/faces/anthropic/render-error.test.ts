import { describe, expect, it } from 'vitest';
import { GatewayError, errorKinds, type ErrorKind } from '../../../src/core/errors.js';
import { anthropicErrorType, renderError } from '../../../src/faces/anthropic/render-error.js';

describe('renderError', () => {
  const typeOf = (kind: ErrorKind) => anthropicErrorType(kind);
  it("uses Anthropic's documented types", () => {
    expect(typeOf('invalid_request')).toBe('invalid_request_error');
    expect(typeOf('unsupported_media_type')).toBe('invalid_request_error');
    expect(typeOf('payload_too_large')).toBe('request_too_large');
    expect(typeOf('unauthorized')).toBe('authentication_error');
    expect(typeOf('insufficient_budget')).toBe('billing_error');
    expect(typeOf('forbidden')).toBe('permission_error');
    expect(typeOf('model_not_found')).toBe('not_found_error');
    expect(typeOf('rate_limited')).toBe('rate_limit_error');
    expect(typeOf('upstream_rate_limited')).toBe('rate_limit_error');
    expect(typeOf('internal')).toBe('api_error');
    expect(typeOf('upstream_server_error')).toBe('api_error');
    expect(typeOf('upstream_overloaded')).toBe('overloaded_error');
    expect(typeOf('upstream_timeout')).toBe('timeout_error');
    expect(typeOf('context_exceeded')).toBe('invalid_request_error');
  });

  it('renders the error shape with the kind, the status and retry-after', () => {
    const rendered = renderError(new GatewayError('upstream_rate_limited', 'slow down', { retryAfterSeconds: 1.2, param: 'model' }), 'req_1');
    expect(rendered).toEqual({
      status: errorKinds.upstream_rate_limited.status,
      body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down', details: { error_code: 'upstream_rate_limited', param: 'model' } }, request_id: 'req_1' },
      headers: { 'retry-after': '2' },
    });
  });

  it('never sends the message of an unexpected error', () => {
    const rendered = renderError(new Error('connect ECONNREFUSED http://secret-host'));
    expect(rendered.status).toBe(500);
    expect(rendered.body.error).toMatchObject({ type: 'api_error', details: { error_code: 'internal' } });
    expect(rendered.body.error.message).not.toContain('secret');
  });
});
