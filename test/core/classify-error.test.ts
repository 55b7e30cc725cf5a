import { APICallError, InvalidPromptError, NoSuchModelError, UnsupportedFunctionalityError } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { classifyUpstreamError, retryAfter } from '../../src/core/classify-error.js';

const where = { provider: 'up', model: 'up/m' };
const apiError = (statusCode: number | undefined, responseBody?: string, responseHeaders?: Record<string, string>, cause?: unknown) =>
  new APICallError({ message: 'boom', url: 'http://127.0.0.1/v1/x', requestBodyValues: {}, ...(statusCode ? { statusCode } : {}), ...(responseBody ? { responseBody } : {}), ...(responseHeaders ? { responseHeaders } : {}), cause });

describe('classifyUpstreamError decides by status and structured codes, never by our own message', () => {
  it.each([
    [400, 'upstream_bad_request'],
    [401, 'upstream_auth'],
    [403, 'upstream_auth'],
    [404, 'model_not_found'],
    [408, 'upstream_timeout'],
    [413, 'context_exceeded'],
    [422, 'upstream_bad_request'],
    [429, 'upstream_rate_limited'],
    [500, 'upstream_server_error'],
    [502, 'upstream_server_error'],
    [503, 'upstream_overloaded'],
    [529, 'upstream_overloaded'],
  ])('HTTP %i → %s', (status, kind) => {
    expect(classifyUpstreamError(apiError(status), where).kind).toBe(kind);
  });

  it('reads the code in the body: OpenAI context_length_exceeded, Anthropic overloaded_error, Gemini RESOURCE_EXHAUSTED', () => {
    expect(classifyUpstreamError(apiError(400, JSON.stringify({ error: { code: 'context_length_exceeded' } })), where).kind).toBe('context_exceeded');
    expect(classifyUpstreamError(apiError(500, JSON.stringify({ type: 'error', error: { type: 'overloaded_error' } })), where).kind).toBe('upstream_overloaded');
    expect(classifyUpstreamError(apiError(400, JSON.stringify({ error: { status: 'RESOURCE_EXHAUSTED' } })), where).kind).toBe('upstream_rate_limited');
  });

  it('a 200 whose body broke off before any content ("Failed to process successful response") falls back, not a 400', () => {
    const broken = classifyUpstreamError(apiError(200, undefined, undefined, new TypeError('terminated')), where);
    expect(broken.kind).toBe('upstream_server_error');
    expect(broken.fallback).toBe(true);
  });

  it('carries retry-after in seconds from the header, in seconds or as a date', () => {
    expect(classifyUpstreamError(apiError(429, undefined, { 'retry-after': '7' }), where).details.retryAfterSeconds).toBe(7);
    const now = Date.parse('2026-03-10T12:00:00.000Z');
    expect(retryAfter({ 'retry-after': new Date(now + 3_000).toUTCString() }, now)).toBe(3);
    expect(retryAfter({ 'retry-after': new Date(now - 3_000).toUTCString() }, now)).toBe(0);
    expect(retryAfter({ 'retry-after': 'soon' })).toBeUndefined();
  });

  it('a refused connection is retryable; a reset after sending is not', () => {
    const refused = classifyUpstreamError(apiError(undefined, undefined, undefined, Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), where);
    expect(refused.kind).toBe('upstream_connection');
    expect(refused.retryable).toBe(true);
    const reset = classifyUpstreamError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), where);
    expect(reset.kind).toBe('upstream_server_error');
    expect(reset.retryable).toBe(false);
  });

  it('a provider package refusing the request shape is upstream_unsupported (fallback allowed, not a 5xx)', () => {
    for (const error of [new UnsupportedFunctionalityError({ functionality: 'system messages after user messages' }), new InvalidPromptError({ prompt: [], message: 'bad prompt' })]) {
      const classified = classifyUpstreamError(error, where);
      expect(classified.kind).toBe('upstream_unsupported');
      expect(classified.status).toBe(400);
      expect(classified.fallback).toBe(true);
    }
    expect(classifyUpstreamError(new NoSuchModelError({ modelId: 'm', modelType: 'languageModel' }), where).kind).toBe('model_not_found');
  });
});
