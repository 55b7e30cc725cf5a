import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';

/** Every rejection path of the HTTP API, as a plain HTTP client meets it. */
let gateway: TestGateway;
const MAX_BODY = 64 * 1024;

beforeAll(async () => {
  gateway = await startGateway({ server: { maxBodyBytes: MAX_BODY } });
});
afterAll(() => gateway?.close());

async function post(path: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await request(`${gateway.url}${path}`, { method: 'POST', body, headers });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, json: JSON.parse(text) as { error: { message: string; type: string; param: string | null; code: string } } };
}

const chat = (body: unknown) => post('/v1/chat/completions', JSON.stringify(body));

describe('bad input gets a 4xx in OpenAI error shape that says what to fix', () => {
  it('malformed JSON → 400 invalid_request', async () => {
    const { status, json } = await post('/v1/chat/completions', '{"model": "mock/echo", "messages": [');
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request' });
    expect(json.error.message).toMatch(/not valid JSON/);
  });

  it('empty body → 400', async () => {
    const { status, json } = await post('/v1/chat/completions', '');
    expect(status).toBe(400);
    expect(json.error.message).toMatch(/empty/);
  });

  it('a JSON value that is not an object → 400', async () => {
    const { status, json } = await post('/v1/chat/completions', '[1,2,3]');
    expect(status).toBe(400);
    expect(json.error.code).toBe('invalid_request');
  });

  it('missing messages → 400 naming the parameter', async () => {
    const { status, json } = await chat({ model: 'mock/echo' });
    expect(status).toBe(400);
    expect(json.error.param).toBe('messages');
    expect(json.error.message).toMatch(/messages/);
  });

  it('wrong type → 400 naming the field', async () => {
    const { status, json } = await chat({ model: 'mock/echo', messages: [{ role: 'user', content: 42 }] });
    expect(status).toBe(400);
    expect(json.error.param).toBe('messages[0].content');
  });

  it('temperature of the wrong type → 400', async () => {
    const { status, json } = await chat({ model: 'mock/echo', temperature: 'hot', messages: [{ role: 'user', content: 'x' }] });
    expect(status).toBe(400);
    expect(json.error.param).toBe('temperature');
  });

  it('n > 1 → 400 with the fix', async () => {
    const { status, json } = await chat({ model: 'mock/echo', n: 3, messages: [{ role: 'user', content: 'x' }] });
    expect(status).toBe(400);
    expect(json.error.param).toBe('n');
  });

  it('a model id without a provider → 400', async () => {
    const { status, json } = await chat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    expect(status).toBe(400);
    expect(json.error.message).toMatch(/provider\/model/);
  });

  it('an unknown provider → 404 model_not_found pointing at /v1/models', async () => {
    const { status, json } = await chat({ model: 'nobody/model', messages: [{ role: 'user', content: 'x' }] });
    expect(status).toBe(404);
    expect(json.error).toMatchObject({ code: 'model_not_found', type: 'invalid_request_error' });
    expect(json.error.message).toMatch(/\/v1\/models/);
  });

  it('an unknown model of a known provider → 404', async () => {
    const { status, json } = await chat({ model: 'mock/nonexistent', messages: [{ role: 'user', content: 'x' }] });
    expect(status).toBe(404);
    expect(json.error.code).toBe('model_not_found');
  });

  it('a body over the limit → 413 and the limit named', async () => {
    const big = JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY) }] });
    const { status, json } = await post('/v1/chat/completions', big);
    expect(status).toBe(413);
    expect(json.error.code).toBe('payload_too_large');
    expect(json.error.message).toContain(String(MAX_BODY));
  });

  it('a multipart body → 415', async () => {
    const { status, json } = await post('/v1/chat/completions', '--x--', { 'content-type': 'multipart/form-data; boundary=x' });
    expect(status).toBe(415);
    expect(json.error.code).toBe('unsupported_media_type');
  });

  it('embeddings without input → 400', async () => {
    const { status, json } = await post('/v1/embeddings', JSON.stringify({ model: 'mock/embed' }));
    expect(status).toBe(400);
    expect(json.error.param).toBe('input');
  });

  it('an unknown route → 404 and a wrong method → 400, both in OpenAI shape', async () => {
    const missing = await request(`${gateway.url}/v1/nothing`);
    expect(missing.statusCode).toBe(404);
    expect(((await missing.body.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const wrongMethod = await request(`${gateway.url}/v1/chat/completions`);
    expect(wrongMethod.statusCode).toBe(400);
    expect(((await wrongMethod.body.json()) as { error: { message: string } }).error.message).toMatch(/GET is not supported/);
  });

  it('an unknown model id under /v1/models/ → 404', async () => {
    const response = await request(`${gateway.url}/v1/models/${encodeURIComponent('mock/none')}`);
    expect(response.statusCode).toBe(404);
    await response.body.dump();
  });

  it('keeps serving after all of the above, and records rejected requests that reached the core', async () => {
    const health = await request(`${gateway.url}/health`);
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toMatchObject({ status: 'ok' });
    const ok = await chat({ model: 'mock/echo', messages: [{ role: 'user', content: 'still here' }] });
    expect(ok.status).toBe(200);
    const kinds = (await gateway.ledger.requests()).map((row) => row.errorKind);
    expect(kinds).toContain('model_not_found');
    expect(kinds.at(-1)).toBeNull();
  });
});
