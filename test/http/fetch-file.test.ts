import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { fetchFile, isNonPublicAddress, type FetchFileOptions } from '../../src/http/fetch-file.js';

/**
 * The SSRF guard of file URLs: each refusal, and the fetch that is allowed. A loopback file
 * server stands in for the web; tests that reach it turn `allowPrivate` on, as a deployment on
 * a trusted network would, or pretend a public name resolves to it.
 */
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
let server: Server;
let port: number;
const seen: Array<{ path: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    switch (req.url) {
      case '/cat.png':
        return res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length }).end(PNG);
      case '/doc.pdf':
        return res.writeHead(200, { 'content-type': 'application/pdf; qs=0.9' }).end('%PDF-1.4');
      case '/page.html':
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
      case '/declared-big.png':
        return res.writeHead(200, { 'content-type': 'image/png', 'content-length': 5000 }).end(Buffer.alloc(5000));
      case '/streamed-big.png':
        // No content-length: the cap must hold while counting.
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write(Buffer.alloc(600));
        res.write(Buffer.alloc(600));
        return res.end();
      case '/redirect':
        return res.writeHead(302, { location: '/cat.png' }).end();
      case '/missing':
        return res.writeHead(404).end();
      default:
        return res.writeHead(500).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
});

const trusted: FetchFileOptions = { maxBytes: 1024, timeoutMs: 2_000, allowPrivate: true };
const guarded: FetchFileOptions = { ...trusted, allowPrivate: false };
const local = (path: string) => `http://127.0.0.1:${port}${path}`;

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe('fetchFile', () => {
  it('fetches an image and a PDF, with the media type from the response', async () => {
    const image = await fetchFile(local('/cat.png'), trusted);
    expect(Buffer.from(image.bytes).equals(PNG)).toBe(true);
    expect(image.mediaType).toBe('image/png');
    const pdf = await fetchFile(local('/doc.pdf'), trusted);
    expect(pdf.mediaType).toBe('application/pdf');
  });

  it('refuses private, loopback and link-local IP literals before connecting', async () => {
    for (const url of [local('/cat.png'), 'http://10.1.2.3/x.png', 'http://169.254.169.254/latest/meta-data', `http://[::1]:${port}/cat.png`, 'http://[::ffff:127.0.0.1]/x.png']) {
      const error = await refusal(fetchFile(url, guarded));
      expect(error.kind).toBe('invalid_request');
      expect(error.message).toMatch(/private, loopback or link-local/);
    }
    expect(seen).toHaveLength(0);
  });

  it('refuses a host name that resolves to loopback (localhost)', async () => {
    const error = await refusal(fetchFile(`http://localhost:${port}/cat.png`, guarded));
    expect(error.message).toMatch(/localhost resolves to a private/);
    expect(seen).toHaveLength(0);
  });

  it('checks every address a name resolves to, not only the first', async () => {
    const resolve = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '192.168.1.10', family: 4 },
    ];
    const error = await refusal(fetchFile('http://files.example.test/cat.png', { ...guarded, resolve }));
    expect(error.message).toMatch(/files\.example\.test resolves to a private/);
  });

  it('connects to the address it checked (DNS rebinding cannot move it), keeping the host name in Host', async () => {
    let lookups = 0;
    const resolve = async () => {
      lookups++;
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const file = await fetchFile(`http://files.example.test:${port}/cat.png`, { ...trusted, resolve });
    expect(file.mediaType).toBe('image/png');
    expect(lookups).toBe(1);
    expect(seen).toEqual([{ path: '/cat.png', headers: expect.objectContaining({ host: `files.example.test:${port}` }) }]);
  });

  it('refuses a content type other than an image or a PDF', async () => {
    const error = await refusal(fetchFile(local('/page.html'), trusted));
    expect(error.kind).toBe('unsupported_media_type');
    expect(error.message).toMatch(/serves text\/html/);
  });

  it('refuses a file larger than the cap, whether declared or counted as it arrives', async () => {
    for (const path of ['/declared-big.png', '/streamed-big.png']) {
      const error = await refusal(fetchFile(local(path), trusted));
      expect(error.kind).toBe('payload_too_large');
      expect(error.message).toMatch(/limit of 1024 bytes/);
    }
  });

  it('refuses a redirect instead of following it', async () => {
    const error = await refusal(fetchFile(local('/redirect'), trusted));
    expect(error.kind).toBe('invalid_request');
    expect(error.message).toMatch(/redirect \(HTTP 302\); redirects are not followed/);
    expect(seen.map((request) => request.path)).toEqual(['/redirect']);
  });

  it('refuses other schemes, credentials in the URL, and reports an upstream error status', async () => {
    expect((await refusal(fetchFile('file:///etc/passwd', trusted))).message).toMatch(/must be http or https/);
    expect((await refusal(fetchFile(`http://user:pw@127.0.0.1:${port}/cat.png`, trusted))).message).toMatch(/credentials/);
    expect((await refusal(fetchFile(local('/missing'), trusted))).message).toMatch(/HTTP 404/);
  });
});

describe('isNonPublicAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.0.0.1', true],
    ['172.31.255.255', true],
    ['192.168.0.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['::1', true],
    ['::', true],
    ['fe80::1', true],
    ['fd00::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['64:ff9b::a00:1', true],
    ['8.8.8.8', false],
    ['93.184.216.34', false],
    ['2606:4700:4700::1111', false],
    ['::ffff:8.8.8.8', false],
    ['not an address', true],
  ])('%s → %s', (address, expected) => {
    expect(isNonPublicAddress(address)).toBe(expected);
  });
});
