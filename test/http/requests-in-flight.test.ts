/**
 * What the server counts as requests in flight, the figure that makes it batch ledger commits
 * (a row then waits a few ms for others). An agent holding its standing MCP stream open is
 * listening, not asking: with it open, a lone request is still alone and commits at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

let upstream: StartedUpstream;
let gateway: TestGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  upstream.script('slow', { kind: 'hang' });
  gateway = await startGateway({
    providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { slow: {}, quick: {} } } },
  });
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

const mcpHeaders = (sessionId?: string) => ({
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
  'mcp-protocol-version': '2025-06-18',
  ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
});

async function openStandingStream(): Promise<{ sessionId: string; stream: Response }> {
  const mcp = `${gateway.url}/mcp`;
  const opened = await fetch(mcp, {
    method: 'POST',
    headers: mcpHeaders(),
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
  await opened.text();
  const sessionId = opened.headers.get('mcp-session-id')!;
  await (await fetch(mcp, { method: 'POST', headers: mcpHeaders(sessionId), body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
  const { accept: _, ...rest } = mcpHeaders(sessionId);
  const stream = await fetch(mcp, { headers: { ...rest, accept: 'text/event-stream' } });
  expect(stream.status).toBe(200);
  return { sessionId, stream };
}

/** Yields to the event loop until `done()`, a bounded number of times. */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 10_000 && !done(); turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(done()).toBe(true);
}

describe('requests in flight', () => {
  it('do not count a standing MCP stream, and count a request being answered', async () => {
    const { sessionId, stream } = await openStandingStream();
    expect(gateway.server.requestsInFlight()).toBe(0);

    const abort = new AbortController();
    const held = fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up/slow', messages: [{ role: 'user', content: 'hi' }] }),
      signal: abort.signal,
    }).catch((error: unknown) => error);
    await until(() => upstream.requests.length === 1);
    expect(gateway.server.requestsInFlight()).toBe(1);
    abort.abort();
    await held;
    await until(() => gateway.server.requestsInFlight() === 0);

    // The lone request beside the stream is committed with its answer: its row reads back at once.
    const answer = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up/quick', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(answer.status).toBe(200);
    const id = answer.headers.get('x-request-id');
    await answer.text();
    expect(gateway.server.app.store.ledger.whenDurable()).toBeNull();
    expect((await gateway.ledger.requests()).map((row) => row.id)).toContain(id);

    await stream.body?.cancel();
    await fetch(`${gateway.url}/mcp`, { method: 'DELETE', headers: mcpHeaders(sessionId) });
  });
});
