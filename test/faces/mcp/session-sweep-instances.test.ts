/**
 * Idle sessions when several instances share sessions through Redis: a session idle on one
 * instance may be in use on another (its standing stream there, while this one watches its
 * budget subscription). It stays while its shared record lives and goes once the record does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpHttpHandler, type McpHttpHandler } from '../../../src/faces/mcp/index.js';
import { deletePrefix, REDIS_URL, redisAvailable, testPrefix } from '../../support/redis.js';
import { startMcpTestServer, type McpTestServer } from './helpers.js';

const IDLE_MS = 1_000;

interface Instance {
  handler: McpHttpHandler;
  http: Server;
  url: string;
  /** Moves this instance's clock past the idle limit and runs its sweep once, to its end. */
  idle(): Promise<void>;
}

async function instance(tollgate: McpTestServer, prefix: string): Promise<Instance> {
  let now = 0;
  let sweep: () => Promise<void> = async () => undefined;
  const handler = createMcpHttpHandler(tollgate.gateway, {
    llmsTxt: '# test',
    version: '0.0.0',
    bus: tollgate.app.bus,
    budgetSignals: tollgate.app.budgetSignals,
    redis: { url: REDIS_URL, keyPrefix: prefix },
    sessionIdleMs: IDLE_MS,
    clock: () => now,
    scheduleSweep: (run) => {
      sweep = run;
      return () => undefined;
    },
  });
  const http = createServer((req, res) => void handler.handle(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    handler,
    http,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    idle: () => {
      now += IDLE_MS + 1;
      return sweep();
    },
  };
}

const post = (url: string, body: object, sessionId?: string) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
    },
    body: JSON.stringify(body),
  });

describe.skipIf(!redisAvailable)('idle sessions across instances', () => {
  let tollgate: McpTestServer;
  let prefix: string;
  let first: Instance;
  let second: Instance;

  beforeAll(async () => {
    tollgate = await startMcpTestServer();
    prefix = testPrefix();
    first = await instance(tollgate, prefix);
    second = await instance(tollgate, prefix);
  });

  afterAll(async () => {
    for (const one of [first, second]) {
      if (!one) continue;
      await one.handler.close();
      one.http.closeAllConnections();
      await new Promise((resolve) => one.http.close(resolve));
    }
    await deletePrefix(prefix);
    await tollgate?.close();
  });

  it('keeps a session idle here while its record lives, and closes it once the record is gone', async () => {
    const opened = await post(first.url, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    await opened.text();
    const sessionId = opened.headers.get('mcp-session-id')!;
    await (await post(first.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, sessionId)).text();
    const elsewhere = await post(second.url, { jsonrpc: '2.0', id: 2, method: 'ping' }, sessionId);
    expect(elsewhere.status).toBe(200);
    await elsewhere.text();
    expect([first.handler.sessionCount, second.handler.sessionCount]).toEqual([1, 1]);

    // Idle on the first instance, but the record in Redis was used within its lifetime.
    await first.idle();
    expect(first.handler.sessionCount).toBe(1);
    await first.idle();
    expect(first.handler.sessionCount).toBe(1);

    // The record is gone (it expired, or the session ended elsewhere): the next sweep closes it.
    await deletePrefix(prefix);
    await first.idle();
    expect(first.handler.sessionCount).toBe(0);
  });
});
