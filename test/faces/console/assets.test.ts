/**
 * The console's pages as the server hands them out: without a credential even when auth is on,
 * with headers that keep them to their own origin, only files that were built, and a clear
 * answer when nothing was built.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleAssets } from '../../../src/faces/console/assets.js';
import { startGateway, type TestGateway } from '../../support/gateway.js';

/** The path as written, byte for byte: a URL parser would fold `%2e%2e` away before it is sent. */
function statusOfRawPath(base: string, path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const sent = httpRequest({ host: hostname, port, path, method: 'GET' }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    sent.once('error', reject);
    sent.end();
  });
}

async function get(url: string, method: 'GET' | 'HEAD' | 'POST' = 'GET') {
  const response = await request(url, { method });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

describe('GET /console on a gateway with auth on', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({}, { env: { TOLLGATE_ADMIN_KEY: 'console-assets-admin-key' } });
  });
  afterAll(() => gateway?.close());

  it('serves the page without a credential, locked to its own origin and never framed', async () => {
    for (const path of ['/console', '/console/']) {
      const page = await get(`${gateway.url}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.text).toContain('<div id="app"></div>');
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      expect(page.headers['cache-control']).toBe('no-cache');
    }
    // The data behind it still needs the key.
    expect((await get(`${gateway.url}/v1/requests`)).status).toBe(401);
  });

  it('serves the built script and stylesheet the page names, to be kept for good (their names carry a hash)', async () => {
    const page = await get(`${gateway.url}/console`);
    const assets = [...page.text.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets).toHaveLength(2);
    for (const path of assets) {
      const asset = await get(`${gateway.url}${path}`);
      expect(asset.status).toBe(200);
      expect(asset.headers['content-type']).toMatch(path.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(asset.text.length).toBeGreaterThan(1000);
      // Offline: the bundle loads nothing from another origin.
      expect(asset.text).not.toMatch(/https?:\/\/(cdn|unpkg|fonts\.googleapis|jsdelivr)/);
    }
  });

  it('answers HEAD without a body, 404 for a file that was not built, 405 for another method', async () => {
    const head = await get(`${gateway.url}/console/`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(100);
    for (const path of ['/console/nope.js', '/console/assets/', '/console/%2e%2e/package.json', '/console/..%2fpackage.json', '/console/index.html/']) {
      expect(await statusOfRawPath(gateway.url, path), path).toBe(404);
    }
    const post = await get(`${gateway.url}/console/`, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });
});

describe('consoleAssets on a folder with nothing built', () => {
  let server: Server;
  let url: string;
  const empty = mkdtempSync(join(tmpdir(), 'tollgate-console-unbuilt-'));
  beforeAll(async () => {
    const pages = consoleAssets(empty);
    server = createServer((req, res) => pages.handle(req, res, new URL(req.url ?? '/', 'http://localhost').pathname));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(empty, { recursive: true, force: true });
  });

  it('says how to build it (503), rather than a blank page', async () => {
    const page = await get(`${url}/console`);
    expect(page.status).toBe(503);
    expect(page.text).toContain('npm run build');
  });
});
