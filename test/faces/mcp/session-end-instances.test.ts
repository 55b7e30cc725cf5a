/**
 * MCP handlers on one Redis (session records and the bus, each its own connections), as gateway
 * instances behind a balancer. A session deleted on one ends at once on the other, which holds
 * its standing stream and its `tollgate://budget` subscription: no idle sweep runs here. A
 * standing stream cannot open while the bus cannot listen (the records still answer): 503,
 * leaving nothing behind.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchedBudgetSessions } from '../../../src/faces/mcp/budget-resource.js';
import { createMcpHttpHandler, type McpHttpHandler } from '../../../src/faces/mcp/index.js';
import { RedisNotificationBus } from '../../../src/policy/state/bus/redis.js';
import type { NotificationBus } from '../../../src/policy/state/bus/types.js';
import { startGateway, type TestGateway } from '../../support/gateway.js';
import { deletePrefix, REDIS_URL, redisAvailable, testPrefix } from '../../support/redis.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';
import { startUpstream, type StartedUpstream } from '../../support/upstreams/index.js';

interface Instance {
  handler: McpHttpHandler;
  url: string;
  close(): Promise<void>;
}

async function instance(gateway: Pick<TestGateway, 'server'>, bus: NotificationBus, prefix: string): Promise<Instance> {
  const handler = createMcpHttpHandler(gateway.server.gateway, {
    llmsTxt: '# test',
    version: '0.0.0',
    bus,
    budgetSignals: gateway.server.app.budgetSignals,
    redis: { url: REDIS_URL, keyPrefix: prefix },
    // Only what the test does ends a session here.
    scheduleSweep: () => () => undefined,
  });
  const http: Server = createServer((req, res) => void handler.handle(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    handler,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    async close() {
      await handler.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

const headers = (sessionId?: string) => ({
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
  'mcp-protocol-version': '2025-06-18',
  ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
});
const post = (url: string, body: object, sessionId?: string) => fetch(url, { method: 'POST', headers: headers(sessionId), body: JSON.stringify(body) });

async function initialize(url: string): Promise<string> {
  const opened = await post(url, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  expect(opened.status).toBe(200);
  await opened.text();
  const sessionId = opened.headers.get('mcp-session-id')!;
  await (await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, sessionId)).text();
  return sessionId;
}

async function subscribe(url: string, sessionId: string): Promise<void> {
  const answer = await post(url, { jsonrpc: '2.0', id: 2, method: 'resources/subscribe', params: { uri: 'tollgate://budget' } }, sessionId);
  expect(answer.status).toBe(200);
  expect(await answer.json()).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
}

/** A standing GET stream's messages, one at a time, and its end. */
interface Stream {
  next(): Promise<Record<string, unknown>>;
  /** Resolves with every message not taken once the server ends the stream. */
  ended(): Promise<Array<Record<string, unknown>>>;
}

async function openStream(url: string, sessionId: string): Promise<Stream> {
  const { accept: _, ...rest } = headers(sessionId);
  const answer = await fetch(url, { headers: { ...rest, accept: 'text/event-stream' } });
  expect(answer.status).toBe(200);
  const reader = answer.body!.pipeThrough(new TextDecoderStream()).getReader();
  const messages: Array<Record<string, unknown>> = [];
  let pending = '';
  let done = false;
  // Each read is bounded by the test's timeout; a stream sends a few events at most here.
  const read = async (): Promise<void> => {
    const chunk = await reader.read();
    if (chunk.done) {
      done = true;
      return;
    }
    pending += chunk.value;
    let end: number;
    while ((end = pending.indexOf('\n\n')) !== -1) {
      const event = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const data = event.split('\n').find((line) => line.startsWith('data: '));
      if (data) messages.push(JSON.parse(data.slice(6)) as Record<string, unknown>);
    }
  };
  return {
    async next() {
      for (let reads = 0; !messages.length && !done && reads < 1_000; reads++) await read();
      const message = messages.shift();
      if (!message) throw new Error('the stream ended without a message');
      return message;
    },
    async ended() {
      for (let reads = 0; !done && reads < 1_000; reads++) await read();
      if (!done) throw new Error('the stream did not end');
      return messages.splice(0);
    },
  };
}

/** $1 per million tokens: each answer is 100 in + 1,000 out, $0.0011; five reach 50 % of $0.011. */
async function pricedUpstream(): Promise<StartedUpstream> {
  const upstream = await startUpstream();
  upstream.script('m', { kind: 'usage', usage: { inputTokens: 100, outputTokens: 1000 } });
  return upstream;
}

const chat = (gateway: TestGateway) =>
  request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'up/m', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] }),
  }).then(async (response) => {
    await response.body.dump();
    return response.statusCode;
  });

describe.skipIf(!redisAvailable)('an MCP session ended on one instance', () => {
  let prefix: string;
  let upstream: StartedUpstream;
  let gateway: TestGateway;
  let ownBus: RedisNotificationBus;
  let first: Instance;
  let second: Instance;

  beforeAll(async () => {
    prefix = testPrefix();
    upstream = await pricedUpstream();
    gateway = await startGateway({
      store: { redis: REDIS_URL, redisKeyPrefix: prefix },
      providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { m: { pricing: { input: 1, output: 1 } } } } },
      budgets: [{ scope: 'global', limitUsd: 0.011, period: 'total' }],
      mock: false,
    });
    // The first instance's bus is its own connection to Redis: what it says reaches the second through Redis.
    ownBus = new RedisNotificationBus({ url: REDIS_URL, keyPrefix: prefix });
    first = await instance(gateway, ownBus, prefix);
    // The second listens on the gateway's bus, so it hears the spend made through the gateway.
    second = await instance(gateway, gateway.server.app.bus, prefix);
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await ownBus?.close();
    await gateway?.close();
    await upstream?.close();
    if (prefix) await deletePrefix(prefix);
  });

  it('deleted on one instance, it ends on the other with its stream and its budget subscription', async () => {
    const deleted = await initialize(first.url);
    const deletedStream = await openStream(second.url, deleted);
    await subscribe(second.url, deleted);
    // Another session subscribed on the same instance: it hears the spend the deleted one would have.
    const kept = await initialize(second.url);
    const keptStream = await openStream(second.url, kept);
    await subscribe(second.url, kept);
    expect([first.handler.sessionCount, second.handler.sessionCount]).toEqual([1, 2]);
    expect(watchedBudgetSessions(gateway.server.app.bus)).toBe(2);

    const ended = await fetch(first.url, { method: 'DELETE', headers: headers(deleted) });
    expect(ended.status).toBe(200);
    expect(first.handler.sessionCount).toBe(0);
    // The second instance closes its copy as soon as it hears: its stream ends.
    expect(await deletedStream.ended()).toEqual([]);
    expect(second.handler.sessionCount).toBe(1);
    // Nothing of the closed session stays behind in the instance's subscriptions.
    expect(watchedBudgetSessions(gateway.server.app.bus)).toBe(1);

    for (let index = 0; index < 5; index++) expect(await chat(gateway)).toBe(200); // 50 %
    const update = await keptStream.next();
    expect(update).toMatchObject({ method: 'notifications/resources/updated', params: { uri: 'tollgate://budget' } });
    expect(second.handler.sessionCount).toBe(1);
    const gone = await post(second.url, { jsonrpc: '2.0', id: 3, method: 'ping' }, deleted);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
    expect(second.handler.sessionCount).toBe(1);
  });
});

describe.skipIf(!redisAvailable)('a standing stream while the bus cannot listen', () => {
  let prefix: string;
  let gateway: TestGateway;
  let proxy: TcpProxy;
  let bus: RedisNotificationBus;
  let mcp: Instance;

  beforeAll(async () => {
    prefix = testPrefix();
    gateway = await startGateway({ store: { redis: REDIS_URL, redisKeyPrefix: prefix } });
    // Only the bus goes through the proxy: cut, the session records still answer.
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    bus = new RedisNotificationBus({ url: `redis://127.0.0.1:${proxy.port}`, keyPrefix: prefix });
    mcp = await instance(gateway, bus, prefix);
  });

  afterAll(async () => {
    // Closed while the bus is still cut: a shutdown does not wait for it.
    await mcp?.close();
    await bus?.close();
    await proxy?.close();
    await gateway?.close();
    if (prefix) await deletePrefix(prefix);
  });

  it('is refused 503 naming the bus, as a JSON-RPC error; the session stays usable, with no stream left open', async () => {
    const sessionId = await initialize(mcp.url);
    await proxy.cut();
    const { accept: _, ...rest } = headers(sessionId);
    const refusal = {
      jsonrpc: '2.0',
      error: { code: -32000, message: `The session's stream cannot open: the notification bus (${bus.description}) cannot be reached; try again shortly.` },
      id: null,
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      // The second GET is refused as the first, not 409: the first left no stream behind.
      const stream = await fetch(mcp.url, { headers: { ...rest, accept: 'text/event-stream' } });
      expect(stream.status).toBe(503);
      expect(stream.headers.get('content-type')).toBe('application/json');
      expect(await stream.json()).toEqual(refusal);
    }
    expect(mcp.handler.sessionCount).toBe(1);
    const ping = await post(mcp.url, { jsonrpc: '2.0', id: 3, method: 'ping' }, sessionId);
    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ jsonrpc: '2.0', id: 3, result: {} });
    // Ending the session needs no bus either.
    const ended = await fetch(mcp.url, { method: 'DELETE', headers: headers(sessionId) });
    expect(ended.status).toBe(200);
    expect(mcp.handler.sessionCount).toBe(0);
  });
});
