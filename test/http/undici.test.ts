import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as undici from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from '../../src/http/undici.js';

/**
 * The gateway loads undici's Agent and request() from module paths inside the package rather
 * than from its index. These are the package's own, and behave as the index's do.
 */
let server: Server;
let origin: string;
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(201, { 'content-type': 'text/plain', 'x-answer': '42' }).end(`you sent ${body.length} bytes`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('undici, loaded without its index', () => {
  it('is the package’s own Agent', () => {
    expect(Agent).toBe(undici.Agent);
  });

  it('sends a request through the given dispatcher: path, query, method, headers and body', async () => {
    const agent = new Agent();
    try {
      const response = await request(`${origin}/v1/things?x=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test': 'yes' },
        body: '{"a":1}',
        dispatcher: agent,
      });
      expect(response.statusCode).toBe(201);
      expect(response.headers['x-answer']).toBe('42');
      expect(await response.body.text()).toBe('you sent 7 bytes');
      expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/v1/things?x=1', body: '{"a":1}', headers: { 'x-test': 'yes' } });
    } finally {
      await agent.close();
    }
  });

  it('defaults the method as undici does: GET without a body', async () => {
    const agent = new Agent();
    try {
      const response = await request(`${origin}/plain`, { dispatcher: agent });
      await response.body.text();
      expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/plain' });
    } finally {
      await agent.close();
    }
  });

  it('refuses a URL that is not http(s) with undici’s own error', async () => {
    const agent = new Agent();
    try {
      expect(() => request('ftp://127.0.0.1/file', { dispatcher: agent })).toThrow(undici.errors.InvalidArgumentError);
    } finally {
      await agent.close();
    }
  });

  it('rejects with undici’s abort error when the signal fires', async () => {
    const agent = new Agent();
    const controller = new AbortController();
    controller.abort();
    try {
      await expect(request(`${origin}/late`, { dispatcher: agent, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await agent.close();
    }
  });
});
