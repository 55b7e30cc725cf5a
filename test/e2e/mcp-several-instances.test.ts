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

const ADMIN_KEY = 'tg_admin_mcp_instances_0123456789abcdef';
const available = postgresAvailable && redisAvailable;
const skipped = available ? '' : ' (skipped: needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379)';

function rpc(url: string, key: string, sessionId: string, body: unknown) {
  return request(`${url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify(body),
  }).then(async (response) => ({ status: response.statusCode, json: (await response.body.json()) as Record<string, unknown> }));
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
      expect(refused).toEqual({ status: 404, json: { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null } });
    }

    await transport.terminateSession();
    await client.close();
    for (const gateway of instances) {
      const gone = await rpc(gateway.url, ownerKey, sessionId, { jsonrpc: '2.0', id: 8, method: 'tools/list' });
      expect(gone).toEqual({ status: 404, json: { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null } });
    }
  });
});
