/**
 * Cross-site requests and DNS rebinding: what a web page the user opens can make their browser
 * send to a gateway on loopback. Every route is taken from the server's own route table (plus
 * /health, /llms.txt and /mcp, served beside it), so a new route is covered without a new test.
 * Requests go over node:http, which sends the Host, Origin and Content-Type the test names, as
 * a rebinding page or a form would.
 */
import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/http/route.js';
import { eventually, startGateway, type TestGateway } from '../support/gateway.js';
import { MCP_ACCEPT, multipart, MULTIPART_TYPE, ROUTES, shapeProblem, type RouteSpec, type Shape } from './support.js';

const ADMIN_KEY = 'cross-site-admin-key-0123456789';
const ALLOWED_ORIGIN = 'https://app.example.com';
const ALLOWED_HOST = 'tollgate.internal';
const FOREIGN_ORIGIN = 'https://evil.example';

let tollgate: TestGateway;
let port: number;
const attackIds: string[] = [];

beforeAll(async () => {
  tollgate = await startGateway(
    { server: { allowedOrigins: [ALLOWED_ORIGIN], allowedHosts: [ALLOWED_HOST] }, logLevel: 'silent' },
    { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } },
  );
  port = Number(new URL(tollgate.url).port);
});

afterAll(async () => {
  await tollgate?.close();
});

interface Endpoint {
  method: string;
  path: string;
  shape: Shape;
  /** What the route reads from the body. */
  body: 'json' | 'multipart' | 'none';
}

function shapeOf(route: Route): Shape {
  if (route.face === 'anthropic') return 'anthropic';
  if (route.face === 'aisdk') return 'aisdk';
  return 'openai';
}

/** Every route the server answers, with a concrete path for prefix routes. */
function endpoints(): Endpoint[] {
  const table = tollgate.server.routes.map(
    (route): Endpoint => ({
      method: route.method,
      path: route.path ?? `${route.prefix!}x`,
      shape: shapeOf(route),
      body: route.body ?? (route.method === 'POST' || route.method === 'PATCH' ? 'json' : 'none'),
    }),
  );
  return [
    ...table,
    { method: 'GET', path: '/health', shape: 'openai', body: 'none' },
    { method: 'GET', path: '/llms.txt', shape: 'openai', body: 'none' },
    { method: 'POST', path: '/mcp', shape: 'jsonrpc', body: 'json' },
    { method: 'GET', path: '/mcp', shape: 'jsonrpc', body: 'none' },
    { method: 'DELETE', path: '/mcp', shape: 'jsonrpc', body: 'none' },
  ];
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** One request with exactly these headers (the admin key unless `authorization` is given), answered within 10 s. */
function send(method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...headers }, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = null;
          try {
            json = JSON.parse(text);
          } catch {
            // Not JSON: the assertions on `json` say so.
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A request a web page could make: tagged so the ledger can be searched for it afterwards. */
function attack(method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Answer> {
  const id = `attack-${randomUUID()}`;
  attackIds.push(id);
  return send(method, path, { 'x-request-id': id, ...headers }, body);
}

function errorMessage(answer: Answer): string {
  const error = (answer.json as { error?: { message?: string } } | null)?.error;
  return error?.message ?? '';
}

function expectRefused(endpoint: Endpoint, answer: Answer, status: number, message: RegExp): void {
  const label = `${endpoint.method} ${endpoint.path}`;
  expect(answer.status, `${label}: ${answer.text.slice(0, 200)}`).toBe(status);
  expect(shapeProblem(endpoint.shape, answer.json), label).toBeNull();
  expect(errorMessage(answer), label).toMatch(message);
  expect(answer.headers['access-control-allow-origin'], label).toBeUndefined();
}

/** A JSON body and its type for the endpoints that take one, so only the checked header is wrong. */
function jsonHeaders(endpoint: Endpoint): Record<string, string> {
  return endpoint.body === 'json' ? { 'content-type': 'application/json', ...(endpoint.path === '/mcp' ? MCP_ACCEPT : {}) } : {};
}

const CHAT = ROUTES.find((route) => route.path === '/v1/chat/completions')!;
const chatBody = JSON.stringify(CHAT.body);

describe('DNS rebinding: a Host that is not a name of this gateway', () => {
  it('is refused with 403 in the route’s error shape, on every route', async () => {
    const all = endpoints();
    expect(all.length).toBeGreaterThan(20);
    for (const endpoint of all) {
      const body = endpoint.body === 'none' ? undefined : chatBody;
      const answer = await attack(endpoint.method, endpoint.path, { host: `attacker.example:${port}`, ...jsonHeaders(endpoint) }, body);
      expectRefused(endpoint, answer, 403, /Host .*server\.allowedHosts/);
    }
  });

  it('loopback names, IP addresses and server.allowedHosts are answered', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `${ALLOWED_HOST}:${port}`, `192.168.1.20:${port}`]) {
      const answer = await send('GET', '/v1/report?start_date=2026-01-01&end_date=2026-12-31', { host });
      expect(answer.status, host).toBe(200);
    }
  });
});

describe('a browser Origin that is not allowed', () => {
  it('is refused with 403 in the route’s error shape, on every route', async () => {
    for (const endpoint of endpoints()) {
      const body = endpoint.body === 'none' ? undefined : chatBody;
      const answer = await attack(endpoint.method, endpoint.path, { origin: FOREIGN_ORIGIN, ...jsonHeaders(endpoint) }, body);
      expectRefused(endpoint, answer, 403, /Origin .*server\.allowedOrigins/);
    }
  });

  it('Origin: null (sandboxed frames, files, redirects) is refused on every route', async () => {
    for (const endpoint of endpoints()) {
      const body = endpoint.body === 'none' ? undefined : chatBody;
      const answer = await attack(endpoint.method, endpoint.path, { origin: 'null', ...jsonHeaders(endpoint) }, body);
      expectRefused(endpoint, answer, 403, /Origin/);
    }
  });

  it('gets no working preflight: 403 and no Access-Control-Allow-Origin', async () => {
    for (const endpoint of endpoints()) {
      const answer = await attack('OPTIONS', endpoint.path, {
        origin: FOREIGN_ORIGIN,
        'access-control-request-method': endpoint.method,
        'access-control-request-headers': 'authorization, content-type',
      });
      expect(answer.status, `${endpoint.method} ${endpoint.path}`).toBe(403);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
      expect(answer.headers['access-control-allow-methods']).toBeUndefined();
    }
  });
});

describe('bodies a page can send without a preflight', () => {
  const simpleTypes: Array<[string, (body: string) => string | Buffer]> = [
    // What fetch(url, { method: 'POST', body: '{…}' }) sends with no headers set.
    ['text/plain;charset=UTF-8', (body) => body],
    // An HTML form: the JSON text as the name of one field.
    ['application/x-www-form-urlencoded', (body) => body],
    [MULTIPART_TYPE, (body) => multipart({ json: body }, null)],
  ];

  it('a text/plain, form or multipart POST to a JSON route is refused with 415, on every JSON route', async () => {
    const jsonRoutes = endpoints().filter((endpoint) => endpoint.body === 'json');
    expect(jsonRoutes.length).toBeGreaterThan(10);
    for (const endpoint of jsonRoutes) {
      for (const [type, encode] of simpleTypes) {
        const answer = await attack(endpoint.method, endpoint.path, { 'content-type': type, ...(endpoint.path === '/mcp' ? MCP_ACCEPT : {}) }, encode(chatBody));
        expectRefused(endpoint, answer, 415, /application\/json/);
      }
    }
  });

  it('a JSON body with no content-type is refused with 415, on every JSON route', async () => {
    for (const endpoint of endpoints().filter((endpoint) => endpoint.body === 'json')) {
      const answer = await attack(endpoint.method, endpoint.path, endpoint.path === '/mcp' ? MCP_ACCEPT : {}, chatBody);
      expectRefused(endpoint, answer, 415, /no content-type/);
    }
  });

  it('a list that a browser reads as text/plain is not taken for JSON', async () => {
    const endpoint: Endpoint = { method: 'POST', path: '/v1/chat/completions', shape: 'openai', body: 'json' };
    const answer = await attack('POST', endpoint.path, { 'content-type': 'application/json, text/plain' }, chatBody);
    expectRefused(endpoint, answer, 415, /application\/json/);
  });

  it('the transcription route takes multipart/form-data only', async () => {
    const endpoint: Endpoint = { method: 'POST', path: '/v1/audio/transcriptions', shape: 'openai', body: 'multipart' };
    for (const type of ['text/plain', 'application/json', 'application/x-www-form-urlencoded']) {
      const answer = await attack('POST', endpoint.path, { 'content-type': type }, 'model=mock/transcribe');
      expectRefused(endpoint, answer, 415, /multipart\/form-data/);
    }
  });

  it('none of the refused requests reached the core: the ledger holds none of them', async () => {
    expect(attackIds.length).toBeGreaterThan(100);
    // A request that is let through is in the ledger under its x-request-id.
    const control = `control-${randomUUID()}`;
    expect((await send('POST', CHAT.path, { 'content-type': 'application/json', 'x-request-id': control }, chatBody)).status).toBe(200);
    const ids = await eventually(async () => {
      const rows = new Set((await tollgate.ledger.requests()).map((row) => row.id));
      expect(rows.has(control)).toBe(true);
      return rows;
    });
    expect(attackIds.filter((id) => ids.has(id))).toEqual([]);
  });
});

describe('clients that are not browsers, and allowed pages', () => {
  /** A valid request of a route from the abuse suite's table. */
  function valid(route: RouteSpec, headers: Record<string, string> = {}): Promise<Answer> {
    const query = route.query ? `?${new URLSearchParams(route.query).toString()}` : '';
    if (route.form) return send(route.method, route.path, { 'content-type': MULTIPART_TYPE, ...route.headers, ...headers }, multipart(route.form));
    if (route.body !== undefined) {
      const body = route.path === '/v1/admin/keys' ? { ...(route.body as object), name: `key-${randomUUID()}` } : route.body;
      return send(route.method, route.path, { 'content-type': 'application/json', ...route.headers, ...headers }, JSON.stringify(body));
    }
    return send(route.method, route.path + query, { ...route.headers, ...headers });
  }

  it('a request with no Origin (curl, SDKs, agents) still works on every route', async () => {
    for (const route of ROUTES) {
      const answer = await valid(route);
      expect(answer.status, `${route.method} ${route.path}: ${answer.text.slice(0, 200)}`).toBeLessThan(300);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
      expect(String(answer.headers.vary)).toMatch(/Origin/);
    }
    for (const path of ['/health', '/llms.txt']) expect((await send('GET', path, {})).status, path).toBe(200);
  });

  it('JSON types with parameters and +json types are JSON', async () => {
    for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json']) {
      const answer = await send('POST', CHAT.path, { 'content-type': type }, chatBody);
      expect(answer.status, type).toBe(200);
    }
  });

  it('an allowed origin (configured or a loopback page) gets CORS headers on every route, on answers and on errors', async () => {
    for (const origin of [ALLOWED_ORIGIN, 'http://localhost:5173']) {
      for (const route of ROUTES) {
        const answer = await valid(route, { origin });
        const label = `${origin} ${route.method} ${route.path}`;
        expect(answer.status, `${label}: ${answer.text.slice(0, 200)}`).toBeLessThan(300);
        expect(answer.headers['access-control-allow-origin'], label).toBe(origin);
        expect(String(answer.headers.vary), label).toMatch(/Origin/);
        const exposed = String(answer.headers['access-control-expose-headers']).split(/,\s*/);
        expect(exposed, label).toEqual(expect.arrayContaining(['x-request-id', 'x-tollgate-provider', 'x-tollgate-cost', 'x-ratelimit-remaining-requests', 'mcp-session-id']));
      }
    }
    // The errors of an allowed page's requests are readable too.
    const missing = await send('POST', CHAT.path, { origin: ALLOWED_ORIGIN, 'content-type': 'application/json' }, JSON.stringify({ ...(CHAT.body as object), model: 'mock/nope' }));
    expect(missing.status).toBe(404);
    expect(missing.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
  });

  it('an allowed origin gets a working preflight on every route, with the headers the official clients send', async () => {
    const asked = ['authorization', 'content-type', 'x-api-key', 'anthropic-version', 'idempotency-key', 'ai-reporting-user', 'x-stainless-os', 'mcp-session-id'];
    for (const endpoint of endpoints()) {
      const label = `${endpoint.method} ${endpoint.path}`;
      const answer = await send('OPTIONS', endpoint.path, {
        authorization: '',
        origin: ALLOWED_ORIGIN,
        'access-control-request-method': endpoint.method,
        'access-control-request-headers': asked.join(','),
      });
      expect(answer.status, label).toBe(204);
      expect(answer.headers['access-control-allow-origin'], label).toBe(ALLOWED_ORIGIN);
      expect(String(answer.headers['access-control-allow-methods']).split(/,\s*/), label).toContain(endpoint.method);
      expect(String(answer.headers['access-control-allow-headers']).split(/,\s*/), label).toEqual(expect.arrayContaining(asked));
      expect(String(answer.headers.vary), label).toMatch(/Origin/);
      expect(Number(answer.headers['access-control-max-age']), label).toBeGreaterThan(0);
    }
  });

  it('a public page the operator listed may reach a gateway on a private address (Private Network Access)', async () => {
    const answer = await send('OPTIONS', CHAT.path, {
      origin: ALLOWED_ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-private-network': 'true',
    });
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-private-network']).toBe('true');
  });

  it('an answer replayed for an Idempotency-Key carries the CORS headers of the replaying request, not the first one', async () => {
    const key = randomUUID();
    const headers = { 'content-type': 'application/json', 'idempotency-key': key };
    const first = await send('POST', CHAT.path, { ...headers, origin: ALLOWED_ORIGIN }, chatBody);
    expect(first.status).toBe(200);
    expect(first.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    const fromLoopbackPage = await send('POST', CHAT.path, { ...headers, origin: 'http://localhost:5173' }, chatBody);
    expect(fromLoopbackPage.headers['idempotent-replayed']).toBe('true');
    expect(fromLoopbackPage.text).toBe(first.text);
    expect(fromLoopbackPage.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const fromCurl = await send('POST', CHAT.path, headers, chatBody);
    expect(fromCurl.headers['idempotent-replayed']).toBe('true');
    expect(fromCurl.headers['access-control-allow-origin']).toBeUndefined();
  });
});
