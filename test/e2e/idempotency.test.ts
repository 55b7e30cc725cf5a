import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { eventually, startGateway, type TestGateway } from '../support/gateway.js';

/** A retried call with the same Idempotency-Key returns the first answer without a second upstream call. */
let upstream: StartedUpstream;
let gateway: TestGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway({ routing: { retries: 0 }, providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k' } } });
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

async function post(body: Record<string, unknown>, key?: string) {
  const response = await request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: 'once only' }], ...body }),
  });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

describe('Idempotency-Key', () => {
  it('replays the first answer byte for byte, with no second upstream call and no second ledger row', async () => {
    const first = await post({}, 'order-123');
    const again = await post({}, 'order-123');
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(upstream.requests).toHaveLength(1);
    expect((await gateway.ledger.requests()).filter((row) => row.requestedModel === 'up/m')).toHaveLength(1);
    // Another key is another request.
    await post({}, 'order-124');
    expect(upstream.requests).toHaveLength(2);
  });

  it('replays a whole stream', async () => {
    const first = await post({ stream: true }, 'stream-1');
    const again = await post({ stream: true }, 'stream-1');
    expect(first.text).toContain('data: [DONE]');
    expect(again.text).toBe(first.text);
    expect(again.headers['content-type']).toMatch(/text\/event-stream/);
    expect(upstream.requests).toHaveLength(1);
  });

  it('does not keep server errors: a retry after a 5xx really retries', async () => {
    upstream.script('m', [{ kind: 'error', status: 500 }, { kind: 'ok' }]);
    expect((await post({}, 'flaky-1')).status).toBe(502);
    expect((await post({}, 'flaky-1')).status).toBe(200);
    expect(upstream.requests).toHaveLength(2);
  });

  it('keeps only successful answers: a retry after a 4xx runs again', async () => {
    upstream.script('m', [{ kind: 'error', status: 400 }, { kind: 'ok' }]);
    expect((await post({}, 'bad-then-good')).status).toBe(400);
    const retried = await post({}, 'bad-then-good');
    expect(retried.status).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(upstream.requests).toHaveLength(2);
  });

  it('keeps only successful answers: after a 400 or a 404 the same key runs the corrected request', async () => {
    const bad = await request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'refused-1' },
      body: JSON.stringify({ model: 'up/m' }),
    });
    expect(bad.statusCode).toBe(400);
    await bad.body.text();
    const unknown = await post({ model: 'nowhere/m' }, 'refused-1');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['idempotent-replayed']).toBeUndefined();
    const fixed = await post({}, 'refused-1');
    expect(fixed.status).toBe(200);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    expect(upstream.requests).toHaveLength(1);
    expect((await post({}, 'refused-1')).headers['idempotent-replayed']).toBe('true');
  });

  it('answers 409 while the first request with the key is still running', async () => {
    upstream.script('m', { kind: 'delay', ms: 300 });
    const slow = post({}, 'busy-1');
    // Once the upstream has the first request, its key is surely claimed.
    await eventually(() => expect(upstream.requests).toHaveLength(1));
    const duplicate = await post({}, 'busy-1');
    expect(duplicate.status).toBe(409);
    expect(JSON.parse(duplicate.text).error.code).toBe('conflict');
    expect((await slow).status).toBe(200);
  });

  it('refuses an over-long key', async () => {
    const response = await post({}, 'k'.repeat(300));
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text).error.param).toBe('Idempotency-Key');
  });
});
