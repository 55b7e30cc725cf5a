/**
 * The middleware chain on a real HTTP server: links run in order around the endpoint, a refusal
 * thrown by any link is rendered by the endpoint, observers see what the handler wrote, and the
 * durability link holds the end of the answer until the ledger says its rows are committed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { compose, type Endpoint, type Middleware } from '../../src/http/chain.js';
import { holdUntilDurable } from '../../src/http/durability.js';
import { renderFailures } from '../../src/http/failures.js';
import { ObservedResponse } from '../../src/http/observed-response.js';
import { sendJson } from '../../src/http/respond.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function serve(links: Middleware[], endpoint: Endpoint): Promise<string> {
  const handle = compose(links);
  server = createServer({ ServerResponse: ObservedResponse }, (req, res) => {
    void handle({ req, res, method: req.method ?? 'GET', url: req.url ?? '/', path: req.url ?? '/', context: { face: 'openai', requestId: 'r1' }, endpoint });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

const endpoint = (handle: Endpoint['handle'], extra: Partial<Endpoint> = {}): Endpoint => ({
  access: 'public',
  body: undefined,
  handle,
  renderError: ({ res }, error) => sendJson(res, error instanceof GatewayError ? error.status : 500, { refused: error instanceof Error ? error.message : 'unknown' }),
  ...extra,
});

describe('the middleware chain', () => {
  it('runs the links in order around the endpoint', async () => {
    const order: string[] = [];
    const link =
      (name: string): Middleware =>
      async (_exchange, next) => {
        order.push(`${name} in`);
        await next();
        order.push(`${name} out`);
      };
    const url = await serve([link('first'), link('second')], endpoint(async ({ res }) => void (order.push('endpoint'), sendJson(res, 200, { ok: true }))));
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(order).toEqual(['first in', 'second in', 'endpoint', 'second out', 'first out']);
  });

  it('renders a refusal thrown by a link in the shape of the endpoint, and the endpoint never runs', async () => {
    let ran = false;
    const refuse: Middleware = async () => {
      throw new GatewayError('forbidden', 'not from here');
    };
    const url = await serve([renderFailures, refuse], endpoint(async () => void (ran = true)));
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ refused: 'not from here' });
    expect(ran).toBe(false);
  });

  it('lets a link watch the status, headers and body the endpoint writes', async () => {
    const seen: { status?: number; headers?: unknown; body: Buffer[] } = { body: [] };
    const watch: Middleware = async ({ res }, next) => {
      res.observe({ head: (status, headers) => Object.assign(seen, { status, headers }), chunk: (chunk) => void seen.body.push(chunk) });
      await next();
    };
    const url = await serve(
      [watch],
      endpoint(async ({ res }) => {
        res.writeHead(201, { 'x-kind': 'watched' });
        res.write('one ');
        res.write(Buffer.from('two '));
        res.end(new Uint8Array([116, 104, 114, 101, 101]));
      }),
    );
    const response = await fetch(url);
    expect(await response.text()).toBe('one two three');
    expect(seen.status).toBe(201);
    expect(seen.headers).toEqual({ 'x-kind': 'watched' });
    expect(Buffer.concat(seen.body).toString()).toBe('one two three');
  });

  it('holds the end of a durable answer until the ledger rows are committed', async () => {
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    let pending = true;
    const ledger = { whenDurable: () => (pending ? committed : null) };
    let answeredBy!: (res: ObservedResponse) => void;
    const handled = new Promise<ObservedResponse>((resolve) => (answeredBy = resolve));
    const url = await serve(
      [holdUntilDurable(ledger)],
      endpoint(
        async ({ res }) => {
          sendJson(res, 200, { answer: 42 });
          answeredBy(res);
        },
        { durable: true },
      ),
    );
    const answered = fetch(url).then((response) => response.json());
    const res = await handled;
    expect(res.writableEnded).toBe(false);
    pending = false;
    commit();
    expect(await answered).toEqual({ answer: 42 });
    expect(res.writableEnded).toBe(true);
  });

  it('does not hold an answer whose endpoint is not durable', async () => {
    const ledger = { whenDurable: () => new Promise<void>(() => undefined) };
    const url = await serve([holdUntilDurable(ledger)], endpoint(async ({ res }) => sendJson(res, 200, { quick: true })));
    expect(await (await fetch(url)).json()).toEqual({ quick: true });
  });
});
