import { describe, expect, it } from 'vitest';
import { GatewayError, errorKinds, type ErrorKind } from '../../../src/core/errors.js';
import { openAIErrorType, renderError, retryAfterHeaders } from '../../../src/faces/openai/render-error.js';

describe('renderError', () => {
  it("renders an invalid request in OpenAI's shape, with param and our kind as code", () => {
    const error = new GatewayError('invalid_request', "Missing required parameter: 'messages'.", { param: 'messages' });
    expect(renderError(error)).toEqual({
      status: 400,
      body: {
        error: {
          message: "Missing required parameter: 'messages'.",
          type: 'invalid_request_error',
          param: 'messages',
          code: 'invalid_request',
        },
      },
      headers: {},
    });
  });

  it('uses null for a missing param', () => {
    expect(renderError(new GatewayError('model_not_found', 'No model a/b')).body.error.param).toBeNull();
  });

  it.each([
    ['invalid_request', 400, 'invalid_request_error'],
    ['model_not_found', 404, 'invalid_request_error'],
    ['not_found', 404, 'invalid_request_error'],
    ['payload_too_large', 413, 'invalid_request_error'],
    ['unsupported_media_type', 415, 'invalid_request_error'],
    ['context_exceeded', 400, 'invalid_request_error'],
    ['unauthorized', 401, 'authentication_error'],
    ['forbidden', 403, 'permission_error'],
    ['insufficient_budget', 402, 'insufficient_budget'],
    ['rate_limited', 429, 'rate_limit_error'],
    ['upstream_rate_limited', 429, 'rate_limit_error'],
    ['internal', 500, 'server_error'],
    ['upstream_timeout', 504, 'api_error'],
    ['upstream_connection', 502, 'api_error'],
    ['upstream_overloaded', 503, 'api_error'],
  ] as const)('renders %s as HTTP %i with type %s', (kind, status, type) => {
    const rendered = renderError(new GatewayError(kind, 'message'));
    expect(rendered.status).toBe(status);
    expect(rendered.body.error.type).toBe(type);
    expect(rendered.body.error.code).toBe(kind);
  });

  it('gives every registered kind an OpenAI type', () => {
    for (const kind of Object.keys(errorKinds) as ErrorKind[]) {
      expect(openAIErrorType(kind)).toMatch(/_error$|^insufficient_budget$/);
    }
  });

  it('hides the message of anything that is not a GatewayError', () => {
    const rendered = renderError(new Error('ECONNREFUSED http://user:sk-secret@10.0.0.1'));
    expect(rendered.status).toBe(500);
    expect(rendered.body.error.code).toBe('internal');
    expect(JSON.stringify(rendered)).not.toContain('sk-secret');
    expect(renderError('thrown string').status).toBe(500);
  });

  it('adds retry-after, rounded up to whole seconds, when the error says how long to wait', () => {
    const error = new GatewayError('upstream_rate_limited', 'Slow down', { retryAfterSeconds: 1.2 });
    expect(renderError(error).headers).toEqual({ 'retry-after': '2' });
    expect(retryAfterHeaders(new GatewayError('rate_limited', 'x', { retryAfterSeconds: 30 }))).toEqual({ 'retry-after': '30' });
    expect(retryAfterHeaders(new GatewayError('rate_limited', 'x'))).toEqual({});
    expect(retryAfterHeaders(new Error('x'))).toEqual({});
  });
});
