import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { gatewayErrorType, renderGatewayError, streamErrorValue } from '../../../src/faces/aisdk-gateway/render-error.js';

describe('renderGatewayError', () => {
  it('renders the shape the client parses, with our kind as code and the request id as generationId', () => {
    const rendered = renderGatewayError(new GatewayError('model_not_found', 'no such model', { model: 'nope/x' }), 'req-9');
    expect(rendered).toEqual({
      status: 404,
      body: { error: { message: 'no such model', type: 'model_not_found', param: { modelId: 'nope/x' }, code: 'model_not_found' }, generationId: 'req-9' },
      headers: {},
    });
  });

  it('names the routing rule of a forbidden request and the wait of a rate limit', () => {
    expect(renderGatewayError(new GatewayError('forbidden', 'denied', { ruleId: 'no-gpt' })).body.error).toMatchObject({ type: 'forbidden', param: { ruleId: 'no-gpt' } });
    const limited = renderGatewayError(new GatewayError('rate_limited', 'slow down', { retryAfterSeconds: 1.2 }));
    expect(limited).toMatchObject({ status: 429, body: { error: { type: 'rate_limit_exceeded' } }, headers: { 'retry-after': '2' } });
  });

  it('never sends the message of an error that is not a GatewayError', () => {
    const rendered = renderGatewayError(new Error('ECONNREFUSED http://secret-host:1234'));
    expect(rendered.status).toBe(500);
    expect(rendered.body.error).toMatchObject({ type: 'internal_server_error', code: 'internal' });
    expect(JSON.stringify(rendered)).not.toContain('secret-host');
  });
});

describe('gatewayErrorType', () => {
  it.each([
    ['unauthorized', 'authentication_error'],
    ['invalid_request', 'invalid_request_error'],
    ['payload_too_large', 'invalid_request_error'],
    ['unsupported_media_type', 'invalid_request_error'],
    ['context_exceeded', 'invalid_request_error'],
    ['upstream_bad_request', 'invalid_request_error'],
    ['rate_limited', 'rate_limit_exceeded'],
    ['upstream_rate_limited', 'rate_limit_exceeded'],
    ['upstream_timeout', 'failed_dependency'],
    ['upstream_overloaded', 'failed_dependency'],
    ['stream_interrupted', 'failed_dependency'],
    ['insufficient_budget', 'insufficient_budget'],
    ['internal', 'internal_server_error'],
  ] as const)('%s → %s', (kind, type) => {
    expect(gatewayErrorType(kind)).toBe(type);
  });
});

describe('streamErrorValue', () => {
  it('carries the status, and makes an unknown failure a stream interruption', () => {
    expect(streamErrorValue(new Error('boom'))).toMatchObject({ type: 'failed_dependency', code: 'stream_interrupted', statusCode: 502 });
  });
});
