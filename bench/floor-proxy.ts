// The floor: the least an OpenAI-compatible gateway written for Node can do per request, for
// the bench to measure beside Tollgate in the same run. It reads the body, parses it to learn
// the model (a gateway must, to route), renames the model, forwards the request with
// `undici.request` on a keep-alive Agent set up as Tollgate's (src/providers/undici-fetch.ts),
// and hands back the upstream's status, content-type and body: event streams as they arrive,
// unparsed. No auth, no ledger, no logging, no translation. Whatever Tollgate's throughput
// falls short of this is Tollgate's; what this falls short of direct is Node's and the machine's.
//
//   node --import tsx bench/floor-proxy.ts --upstream http://127.0.0.1:PORT [--port N] [--workers N]
//
// Reports its port to the parent over IPC ({ type: 'listening', port, workers }) or, when run
// by hand, on stdout. `--workers N` (N ≥ 2) serves from N cluster workers behind one port, to
// show the floor with one process per core. Exits when the parent goes away.
import cluster from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { Agent, request } from 'undici';
import { UPSTREAM_API_KEY } from './upstream.js';

const CHAT_PATH = '/v1/chat/completions';
const USER_AGENT = 'tollgate-bench-floor';
let stopping = false;

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function intArg(argv: string[], name: string, def: number, min: number, max: number): number {
  const v = arg(argv, name);
  const n = v === undefined ? def : Number(v);
  return Number.isInteger(n) && n >= min && n <= max ? n : def;
}

// The settings of Tollgate's upstreamAgent, so that the two differ in what they do per request
// and not in how they hold their connections.
const agent = new Agent({
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 300_000,
  connections: null,
  headersTimeout: 0,
  bodyTimeout: 0,
});

function fail(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message: `floor proxy: ${message}`, type: 'floor_error', param: null, code: null } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function forward(upstreamUrl: string, raw: Buffer, res: http.ServerResponse): Promise<void> {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  } catch {
    fail(res, 400, 'body is not JSON');
    return;
  }
  if (typeof body.model !== 'string') {
    fail(res, 400, 'no model');
    return;
  }
  // `provider/model` as Tollgate names models: the upstream gets the part after the slash.
  body.model = body.model.slice(body.model.indexOf('/') + 1);
  const upstream = await request(upstreamUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, authorization: `Bearer ${UPSTREAM_API_KEY}` },
    body: JSON.stringify(body),
    dispatcher: agent,
  });
  const headers: http.OutgoingHttpHeaders = {};
  const ctype = upstream.headers['content-type'];
  if (ctype !== undefined) headers['content-type'] = ctype;
  const isStream = typeof ctype === 'string' && ctype.startsWith('text/event-stream');
  // A JSON answer keeps its length, so it leaves in one write as it came; a stream goes out
  // chunked, each event as it arrives.
  const length = upstream.headers['content-length'];
  if (!isStream && typeof length === 'string') headers['content-length'] = length;
  res.writeHead(upstream.statusCode, headers);
  pipeline(upstream.body, res, () => undefined);
}

function serve(upstreamOrigin: string, port: number): Promise<number> {
  const upstreamUrl = `${upstreamOrigin}${CHAT_PATH}`;
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    if (req.method !== 'POST' || req.url !== CHAT_PATH) {
      req.resume();
      fail(res, 404, `no route ${req.method} ${req.url}`);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      forward(upstreamUrl, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), res).catch((e: unknown) =>
        fail(res, 502, e instanceof Error ? e.message : String(e)),
      );
    });
  });
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

const argv = process.argv.slice(2);
const upstreamOrigin = arg(argv, '--upstream');
const workers = intArg(argv, '--workers', 1, 1, 64);
if (!upstreamOrigin) {
  console.error('floor proxy: --upstream http://127.0.0.1:PORT is required');
  process.exit(2);
}

const announce = (port: number) => {
  if (process.send) process.send({ type: 'listening', port, workers });
  else console.log(`floor proxy (${workers} process${workers > 1 ? 'es' : ''}) on http://127.0.0.1:${port}/v1 → ${upstreamOrigin}`);
};
const bail = (e: unknown) => {
  console.error(e);
  process.exit(1);
};

if (workers === 1) {
  serve(upstreamOrigin, intArg(argv, '--port', 0, 0, 65_535)).then(announce, bail);
} else if (cluster.isPrimary) {
  // The port is settled before the workers start: with listen(0) each worker would get the
  // primary's shared port too, but a fixed one keeps the announcement simple.
  void (async () => {
    const asked = intArg(argv, '--port', 0, 0, 65_535);
    const port = asked !== 0 ? asked : await new Promise<number>((resolve, reject) => {
      const probe = http.createServer();
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    let ready = 0;
    for (let i = 0; i < workers; i++) {
      const w = cluster.fork({ FLOOR_PORT: String(port) });
      w.on('message', (m: unknown) => {
        if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'worker-listening' && ++ready === workers) announce(port);
      });
    }
    // One worker gone means the figures are not those of N workers: stop, and let the bench see it.
    cluster.on('exit', () => {
      if (!stopping) process.exit(1);
    });
  })().catch(bail);
} else {
  serve(upstreamOrigin, Number(process.env.FLOOR_PORT)).then(() => process.send?.({ type: 'worker-listening' }), bail);
}

// Forked by the bench: leave with it, even if it could not say goodbye. (A worker's channel is
// to the primary, so workers leave with the primary.)
if (process.send) process.on('disconnect', () => process.exit(0));
const stop = () => {
  stopping = true;
  if (cluster.isPrimary) for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  setTimeout(() => process.exit(0), 100).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
