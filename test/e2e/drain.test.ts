/**
 * Graceful drain of a real `tollgate serve` process: SIGTERM during open streams lets them
 * finish and commits their rows (exit 0); at `server.drainMs` what is left ends as cancelled,
 * billed for what was received; a second signal ends everything at once (exit 128 + signal).
 * The upstream streams under the test's control: each stream sends its first words, then waits
 * until the test releases it. No sleeps: every wait is on an event.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../support/store.js';
import type { RequestRow } from '../../src/store/types.js';
import { runCli, waitForUrl, type CliProcess } from '../support/cli.js';

const STREAMS = 20;

/** An OpenAI-compatible upstream whose streams hold after their first content chunk until released. */
interface GatedUpstream {
  url: string;
  /** Resolves once `count` streams have sent their first content chunk. */
  opened(count: number): Promise<void>;
  /** Lets every held stream (and every later one) finish. */
  release(): void;
  close(): Promise<void>;
}

async function startGatedUpstream(): Promise<GatedUpstream> {
  let open = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let released = false;
  let releaseAll: () => void = () => undefined;
  const releasedPromise = new Promise<void>((resolve) => {
    releaseAll = resolve;
  });
  const chunk = (res: ServerResponse, id: string, body: object) =>
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_760_000_000, model: 'm', ...body })}\n\n`);
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (part: Buffer) => (raw += part.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as { stream?: boolean };
      if (req.url !== '/v1/chat/completions' || !body.stream) {
        res.writeHead(404).end();
        return;
      }
      const id = `chatcmpl-${open}`;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      chunk(res, id, { choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
      chunk(res, id, { choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null }] });
      open += 1;
      for (const waiter of waiters.filter((w) => open >= w.count)) waiter.resolve();
      void releasedPromise.then(() => {
        if (res.destroyed) return;
        chunk(res, id, { choices: [{ index: 0, delta: { content: ' world' }, finish_reason: null }] });
        chunk(res, id, { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
        chunk(res, id, { choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } });
        res.end('data: [DONE]\n\n');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    opened: (count) =>
      open >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiters.push({ count, resolve });
          }),
    release: () => {
      released = true;
      releaseAll();
    },
    close: async () => {
      if (!released) releaseAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let work: string;
let upstream: GatedUpstream;
let server: CliProcess | undefined;
let agent: Agent;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tollgate-drain-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(async () => {
  await server?.stop();
  server = undefined;
  await agent?.close();
  await upstream?.close();
});

async function startGateway(name: string, drainMs: number): Promise<{ url: string; dataDir: string }> {
  upstream = await startGatedUpstream();
  agent = new Agent({ connections: STREAMS + 4 });
  const dataDir = join(work, name);
  const configFile = join(work, `${name}.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      logLevel: 'warn',
      server: { drainMs },
      providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { m: { pricing: { input: 1, output: 1 } } } } },
    }),
  );
  server = runCli(['serve', '--port', '0', '--config', configFile, '--data-dir', dataDir], {});
  return { url: await waitForUrl(server, 90_000), dataDir };
}

interface OpenStream {
  id: string;
  /** Everything the client received, once the response ended (or broke off). */
  text: Promise<string>;
}

/** Starts a stream and resolves once its first bytes have arrived at the client. */
async function openStream(url: string, id: string): Promise<OpenStream> {
  const response = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', 'x-request-id': id },
    body: JSON.stringify({ model: 'up/m', max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'say hello' }] }),
  });
  expect(response.statusCode).toBe(200);
  const iterator = response.body[Symbol.asyncIterator]();
  const first = await iterator.next();
  let received = first.done ? '' : String(first.value);
  const text = (async () => {
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) received += String(next.value);
    } catch {
      // Cut by the gateway: what arrived is the answer.
    }
    return received;
  })();
  return { id, text };
}

async function openStreams(url: string, prefix: string): Promise<OpenStream[]> {
  const streams = await Promise.all(Array.from({ length: STREAMS }, (_, n) => openStream(url, `${prefix}-${n}`)));
  await upstream.opened(STREAMS);
  return streams;
}

async function ledgerRows(dataDir: string): Promise<RequestRow[]> {
  const store = await openStore(dataDir);
  try {
    return (await store.reports.listRequests({ limit: 100 }, { kind: 'all' })).requests;
  } finally {
    await store.close();
  }
}

/** Resolves once the server has written `pattern` on stderr (or exited). */
async function stderrShows(cli: CliProcess, pattern: RegExp): Promise<void> {
  if (pattern.test(cli.stderr())) return;
  await new Promise<void>((resolve) => {
    const check = () => {
      if (!pattern.test(cli.stderr())) return;
      cli.child.stderr!.off('data', check);
      cli.child.off('exit', check);
      resolve();
    };
    cli.child.stderr!.on('data', check);
    cli.child.once('exit', () => resolve());
  });
}

describe('graceful drain of tollgate serve', { timeout: 180_000 }, () => {
  it('SIGTERM during 20 open streams: all finish, 20 rows, /health says draining, new requests get 503, exit 0', async () => {
    const { url, dataDir } = await startGateway('finish', 600_000);
    const streams = await openStreams(url, 'drain');
    server!.child.kill('SIGTERM');
    await stderrShows(server!, /stopping; letting requests in flight finish/);

    const health = await request(`${url}/health`, { dispatcher: agent });
    expect(health.statusCode).toBe(503);
    expect(health.headers.connection).toBe('close');
    expect(await health.body.json()).toMatchObject({ status: 'draining' });
    const late = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up/m', max_tokens: 20, messages: [{ role: 'user', content: 'too late' }] }),
    });
    expect(late.statusCode).toBe(503);
    expect(await late.body.json()).toMatchObject({ error: { code: 'shutting_down' } });

    upstream.release();
    const texts = await Promise.all(streams.map((stream) => stream.text));
    for (const text of texts) {
      expect(text).toContain('Hello');
      expect(text).toContain(' world');
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    }
    expect(await server!.exited).toBe(0);
    expect(server!.stderr()).toMatch(/drained in \d+ ms: 20 requests finished, 0 cancelled; ledger committed, stores closed/);

    const rows = await ledgerRows(dataDir);
    const drained = rows.filter((row) => row.id.startsWith('drain-'));
    expect(drained).toHaveLength(STREAMS);
    for (const row of drained) {
      expect(row.status).toBe('ok');
      expect(row.usage).toMatchObject({ input: 5, output: 2 });
      expect(row.costNanos).toBe(7_000);
    }
  });

  it('at server.drainMs, streams still open end as cancelled and are billed for what was received', async () => {
    const { url, dataDir } = await startGateway('deadline', 200);
    const streams = await openStreams(url, 'late');
    server!.child.kill('SIGTERM');
    // The upstream is never released: the deadline ends every stream.
    const texts = await Promise.all(streams.map((stream) => stream.text));
    for (const text of texts) {
      expect(text).toContain('Hello');
      expect(text).not.toContain(' world');
    }
    expect(await server!.exited).toBe(0);
    expect(server!.stderr()).toMatch(/0 requests finished, 20 cancelled \(billed for what was received\)/);

    const rows = (await ledgerRows(dataDir)).filter((row) => row.id.startsWith('late-'));
    expect(rows).toHaveLength(STREAMS);
    for (const row of rows) {
      expect(row.status).toBe('cancelled');
      expect(row.errorKind).toBe('client_closed');
      // Billed for the prompt and the words that arrived, though the upstream never reported usage.
      expect(row.usage.output).toBeGreaterThan(0);
      expect(row.costNanos).toBeGreaterThan(0);
    }
  });

  it('a second signal ends the drain at once, after the commit, with exit 130 for SIGINT', async () => {
    const { url, dataDir } = await startGateway('second', 600_000);
    const streams = await openStreams(url, 'twice');
    server!.child.kill('SIGTERM');
    await stderrShows(server!, /stopping; letting requests in flight finish/);
    server!.child.kill('SIGINT');
    await Promise.all(streams.map((stream) => stream.text));
    expect(await server!.exited).toBe(130);
    expect(server!.stderr()).toMatch(/0 requests finished, 20 cancelled/);

    const rows = (await ledgerRows(dataDir)).filter((row) => row.id.startsWith('twice-'));
    expect(rows).toHaveLength(STREAMS);
    expect(rows.every((row) => row.status === 'cancelled')).toBe(true);
  });

  it('a second SIGTERM exits 143', async () => {
    const { url } = await startGateway('second-term', 600_000);
    const stream = await openStream(url, 'term-0');
    await upstream.opened(1);
    server!.child.kill('SIGTERM');
    await stderrShows(server!, /stopping; letting requests in flight finish/);
    server!.child.kill('SIGTERM');
    await stream.text;
    expect(await server!.exited).toBe(143);
  });
});
