/**
 * `/mcp` sessions belong to the key that opened them. Another key cannot use, read or delete
 * one (its id answers 404, as an unknown id does), and a key opening sessions without end closes
 * its own oldest ones instead of other keys' sessions.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { MCP_ACCEPT } from './support.js';

let gateway: TestGateway;
/** The gateway the helpers talk to (the shared one, or one with its own limits). */
let target: () => TestGateway = () => gateway;
let agent: Agent;
let victimKey: string;
let attackerKey: string;

beforeAll(async () => {
  gateway = await startGateway({});
  agent = new Agent({ connections: 4 });
  victimKey = (await gateway.server.app.store.keys.create({ name: 'victim' })).key;
  attackerKey = (await gateway.server.app.store.keys.create({ name: 'attacker' })).key;
});
afterAll(async () => {
  await agent?.close();
  await gateway?.close();
});

async function mcp(key: string, method: 'POST' | 'GET' | 'DELETE', sessionId?: string, body?: unknown) {
  const response = await request(`${target().url}/mcp`, {
    method,
    dispatcher: agent,
    headers: {
      authorization: `Bearer ${key}`,
      ...MCP_ACCEPT,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.body.text();
  const header = response.headers['mcp-session-id'];
  return { status: response.statusCode, text, sessionId: typeof header === 'string' ? header : undefined };
}

/** A session opened the way a client does, then left idle (no GET stream held open). */
async function openIdleSession(key: string): Promise<string> {
  const init = await mcp(key, 'POST', undefined, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  expect(init.status).toBe(200);
  const id = init.sessionId!;
  expect((await mcp(key, 'POST', id, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  return id;
}

const listTools = (key: string, sessionId: string) => mcp(key, 'POST', sessionId, { jsonrpc: '2.0', id: 2, method: 'tools/list' });

describe('/mcp sessions are bound to their key', () => {
  it('another key gets 404 for a session it did not open, on POST, GET and DELETE; the owner keeps using it', async () => {
    const client = new Client({ name: 'victim', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), { requestInit: { headers: { authorization: `Bearer ${victimKey}` } } });
    await client.connect(transport);
    try {
      const stolen = transport.sessionId!;
      const call = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'chat', arguments: { prompt: 'on someone else’s session' } } };
      for (const [method, body] of [['POST', call], ['GET', undefined], ['DELETE', undefined]] as const) {
        const answer = await mcp(attackerKey, method, stolen, body);
        expect(answer.status, method).toBe(404);
        expect(JSON.parse(answer.text), method).toMatchObject({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' } });
      }
      // The attacker's call ran nowhere, and the victim's session is whole.
      expect(await gateway.ledger.requests()).toHaveLength(0);
      const result = await client.callTool({ name: 'chat', arguments: { prompt: 'mine still' } });
      expect(result.structuredContent).toMatchObject({ text: 'Echo: mine still' });
    } finally {
      await client.close();
    }
  });

  it('1,100 initialize calls from one key close only its own sessions: the victim’s idle session survives, the flooder keeps its 16 newest', async () => {
    const victimSession = await openIdleSession(victimKey);
    const flood: string[] = [];
    for (let index = 0; index < 1_100; index++) {
      const answer = await mcp(attackerKey, 'POST', undefined, {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: `flood-${index}`, version: '1' } },
      });
      expect(answer.status).toBe(200);
      flood.push(answer.sessionId!);
    }

    const victim = await listTools(victimKey, victimSession);
    expect(victim.status).toBe(200);
    expect(victim.text).toContain('"chat"');

    // The default cap is 16 sessions per key: the 16 newest live, the one before them was closed.
    const alive = await Promise.all(flood.slice(-17).map(async (id) => (await listTools(attackerKey, id)).status));
    expect(alive).toEqual([404, ...Array<number>(16).fill(200)]);
    expect((await listTools(attackerKey, flood[0]!)).status).toBe(404);
  }, 120_000);

  it('when every session is taken (server.mcp.maxSessions), the key holding the most gives up its own idle one', async () => {
    const small = await startGateway({ server: { mcp: { maxSessions: 4 } } });
    target = () => small;
    try {
      const keys = small.server.app.store.keys;
      const victim = (await keys.create({ name: 'victim' })).key;
      const flooder = (await keys.create({ name: 'flooder' })).key;
      const victimSession = await openIdleSession(victim);
      const flood: string[] = [];
      for (let index = 0; index < 12; index++) flood.push(await openIdleSession(flooder));
      expect((await listTools(victim, victimSession)).status).toBe(200);
      const alive = await Promise.all(flood.map(async (id) => (await listTools(flooder, id)).status));
      expect(alive).toEqual([...Array<number>(9).fill(404), 200, 200, 200]);
    } finally {
      target = () => gateway;
      await small.close();
    }
  });
});
