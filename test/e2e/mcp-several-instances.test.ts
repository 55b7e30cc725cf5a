/**
 * `/mcp` behind a round-robin balancer: three instances on one PostgreSQL and one Redis, and a
 * loopback proxy that sends each request to the next instance. The MCP SDK's own client opens a
 * session, lists tools and calls chat with a progress token, each POST landing on another
 * instance; the session stays its key's alone on every instance, and a DELETE on one ends it on all.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordProgress, wantProgress } from '../support/mcp-progress.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js';
import { deletePrefix, REDIS_URL, redisAvailable, testPrefix } from '../support/redis.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../support/round-robin-proxy.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const ADMIN_KEY = 'tg_admin_mcp_instances_0123456789abcdef';
const available = postgresAvailable && redisAvailable;
const skipped = available ? '' : ' (skipped: needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379)';

const initializeMessage = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

function rpc(url: string, key: string | undefined, sessionId: string | undefined, body: unknown) {
  return request(`${url}/mcp`, {
    method: 'POST',
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' } : {}),
    },
    body: JSON.stringify(body),
  }).then(async (response) => ({
    status: response.statusCode,
    sessionId: response.headers['mcp-session-id'] as string | undefined,
    json: (await response.body.json()) as Record<string, unknown>,
  }));
}

describe.skipIf(!available)(`/mcp on three instances behind a round-robin balancer${skipped}`, () => {
  let database: TestDatabase;
  let prefix: string;
  let instances: TestGateway[];
  let proxy: RoundRobinProxy;
  let ownerKey: string;
  let otherKey: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    prefix = testPrefix();
    const config = { store: { database: database.url(), redis: REDIS_URL, redisKeyPrefix: prefix } };
    instances = [];
    for (let index = 0; index < 3; index++) instances.push(await startGateway(config, { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } }));
    proxy = await startRoundRobinProxy(instances.map((gateway) => gateway.url));
    ownerKey = (await instances[0]!.server.app.store.keys.create({ name: 'mcp-owner' })).key;
    otherKey = (await instances[0]!.server.app.store.keys.create({ name: 'mcp-other' })).key;
  });
  afterAll(async () => {
    await proxy?.close();
    await Promise.all((instances ?? []).map((gateway) => gateway.close()));
    if (prefix) await deletePrefix(prefix);
    await database?.drop();
  });

  it('the SDK client initialises, lists tools and gets progress and the result of chat, each POST on the next instance; another key cannot use the session; DELETE ends it everywhere', async () => {
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', proxy.url), {
      requestInit: { headers: { authorization: `Bearer ${ownerKey}` } },
    });
    const client = new Client({ name: 'balanced', version: '1.0.0' });
    await client.connect(transport);
    const sessionId = transport.sessionId!;
    expect(sessionId).toBeTruthy();

    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('chat');
    const progress = recordProgress(transport);
    const prompt = 'an answer that arrives word by word from whichever instance serves it';
    const result = (await client.callTool({ name: 'chat', arguments: { model: 'mock/echo', prompt } }, undefined, wantProgress)) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ text: `Echo: ${prompt}` });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.progress).toBe(`Echo: ${prompt}`.length);
    for (let call = 0; call < 3; call++) {
      const again = (await client.callTool({ name: 'chat', arguments: { model: 'mock/echo', prompt: `call ${call}` } })) as CallToolResult;
      expect(again.structuredContent).toMatchObject({ text: `Echo: call ${call}` });
    }

    const posts = proxy.routed.filter((routed) => routed.method === 'POST');
    const methods = posts.map((routed) => (JSON.parse(routed.body) as { method?: string }).method);
    expect(methods).toEqual(['initialize', 'notifications/initialized', 'tools/list', 'tools/call', 'tools/call', 'tools/call', 'tools/call']);
    // No two POSTs in a row on the same instance, and every instance served some.
    for (let index = 1; index < posts.length; index++) expect(posts[index]!.backend).not.toBe(posts[index - 1]!.backend);
    expect(new Set(posts.map((routed) => routed.backend)).size).toBe(3);

    // The session is its key's on every instance: another key's use of its id is an unknown id.
    for (const gateway of instances) {
      const refused = await rpc(gateway.url, otherKey, sessionId, { jsonrpc: '2.0', id: 7, method: 'tools/list' });
      expect(refused).toMatchObject({ status: 404, json: { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null } });
    }

    await transport.terminateSession();
    await client.close();
    for (const gateway of instances) {
      const gone = await rpc(gateway.url, ownerKey, sessionId, { jsonrpc: '2.0', id: 8, method: 'tools/list' });
      expect(gone).toMatchObject({ status: 404, json: { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null } });
    }
  });
});

describe.skipIf(!redisAvailable)(`/mcp sessions with Redis unreachable${redisAvailable ? '' : ' (skipped: no Redis on 127.0.0.1:6379)'}`, () => {
  it('a request of a session and a new session get 503 naming Redis; both work again once it is back', async () => {
    const prefix = testPrefix();
    const redis = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    const gateway = await startGateway({ store: { redis: `redis://127.0.0.1:${redis.port}`, redisKeyPrefix: prefix } });
    try {
      const opened = await rpc(gateway.url, undefined, undefined, initializeMessage);
      expect(opened.status).toBe(200);
      const sessionId = opened.sessionId!;
      expect((await rpc(gateway.url, undefined, sessionId, { jsonrpc: '2.0', id: 2, method: 'ping' })).json).toEqual({ jsonrpc: '2.0', id: 2, result: {} });

      await redis.cut();
      const unavailable = {
        status: 503,
        json: {
          jsonrpc: '2.0',
          error: { code: -32000, message: `MCP sessions are unavailable: the session store (redis 127.0.0.1:${redis.port}) cannot be reached; try again shortly.` },
          id: null,
        },
      };
      expect(await rpc(gateway.url, undefined, sessionId, { jsonrpc: '2.0', id: 3, method: 'ping' })).toMatchObject(unavailable);
      expect(await rpc(gateway.url, undefined, undefined, initializeMessage)).toMatchObject(unavailable);

      await redis.restore();
      let answer = await rpc(gateway.url, undefined, sessionId, { jsonrpc: '2.0', id: 4, method: 'ping' });
      // The client reconnects on its own schedule; until then the store still counts as down.
      for (let attempt = 0; answer.status === 503 && attempt < 200; attempt++) {
        await new Promise((resolve) => setImmediate(resolve));
        answer = await rpc(gateway.url, undefined, sessionId, { jsonrpc: '2.0', id: 4, method: 'ping' });
      }
      expect(answer.json).toEqual({ jsonrpc: '2.0', id: 4, result: {} });
    } finally {
      await gateway.close();
      await redis.close();
      await deletePrefix(prefix);
    }
  });
});
