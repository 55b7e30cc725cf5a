// A fast OpenAI-compatible upstream on loopback, for the bench. It runs in its own process
// (forked by bench/run.ts) so that it has its own event loop, as a real upstream would, and
// does as little as it can per request so that the gateway in front of it is what is measured.
//
//   node --import tsx bench/upstream.ts [--port N] [--ports COUNT] [--sse split|burst]
//
// Reports its ports to the parent over IPC ({ type: 'listening', port, ports }) or, when run
// by hand, on stdout. Exits when the parent goes away. `--ports COUNT` listens on COUNT ports
// (one server each, same answers and counters): a gateway pools connections per origin, and
// the open-streams phase spreads its streams over several origins.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const UPSTREAM_API_KEY = 'bench-key';
/** What the upstream answers; the bench checks the gateway hands these back unchanged. */
export const CONTENT_DELTAS = ['Hello', ' from', ' the', ' bench', ' upstream', ',', ' all', ' good.'];
export const FULL_CONTENT = CONTENT_DELTAS.join('');
export const USAGE = { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 };

const CREATED = 1_700_000_000;

/**
 * The model that streams slowly: its first content event comes at once and the rest after
 * SLOW_PAUSE_MS, so that a gateway holding back the stream shows (see run.ts's sanity check).
 */
export const SLOW_MODEL = 'slow';
export const SLOW_PAUSE_MS = 200;

/**
 * Models named `drip-<ms>x<events>` stream one content event every <ms> milliseconds, <events>
 * times (the role chunk comes at once, so a client sees its first byte early): the open-streams
 * phase holds many such streams open at once.
 */
export function dripModel(intervalMs: number, events: number): string {
  return `drip-${intervalMs}x${events}`;
}
const DRIP = /^drip-(\d{1,5})x(\d{1,4})$/;

/** How SSE events leave: one per event-loop turn (as a model streams tokens) or all at once. */
export type SseMode = 'split' | 'burst';
let sseMode: SseMode = 'split';

interface Prepared {
  json: Buffer;
  /** The whole SSE stream, one buffer per event, with and without the usage chunk. */
  withUsage: Buffer[];
  withoutUsage: Buffer[];
}

// Responses are built once per model name: the model is echoed as a real upstream would,
// but nothing is serialised per request.
const prepared = new Map<string, Prepared>();
const MAX_PREPARED = 64;

function prepare(model: string): Prepared {
  let p = prepared.get(model);
  if (p) return p;
  const id = 'chatcmpl-bench';
  const json = Buffer.from(
    JSON.stringify({
      id,
      object: 'chat.completion',
      created: CREATED,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: FULL_CONTENT, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: USAGE,
    }),
  );
  const chunk = (choices: unknown[], usage: unknown = null) =>
    Buffer.from(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: CREATED, model, choices, usage })}\n\n`,
    );
  const events: Buffer[] = [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
    ...CONTENT_DELTAS.map((content) =>
      chunk([{ index: 0, delta: { content }, logprobs: null, finish_reason: null }]),
    ),
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
  ];
  const done = Buffer.from('data: [DONE]\n\n');
  p = { json, withUsage: [...events, chunk([], USAGE), done], withoutUsage: [...events, done] };
  if (prepared.size < MAX_PREPARED) prepared.set(model, p);
  return p;
}

let chatRequests = 0;
/** Sockets open now, over every port: the open-streams phase checks the gateway holds them. */
let openConnections = 0;
let streamRequests = 0;
let rejected = 0;
/** Who called, by user-agent: tells which client path of the gateway was measured. */
const userAgents = new Map<string, number>();
const MAX_USER_AGENTS = 16;

function countUserAgent(ua: string | undefined): void {
  const key = ua ?? '(none)';
  const n = userAgents.get(key);
  if (n !== undefined) userAgents.set(key, n + 1);
  else if (userAgents.size < MAX_USER_AGENTS) userAgents.set(key, 1);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const buf = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': buf.length });
  res.end(buf);
}

function error(res: http.ServerResponse, status: number, message: string, type: string): void {
  rejected++;
  sendJson(res, status, { error: { message, type, param: null, code: null } });
}

function onChat(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void {
  // A wrong key means the gateway did not forward the configured one: fail loudly so the
  // bench counts it rather than measuring a gateway that skips the upstream's contract.
  if (req.headers.authorization !== `Bearer ${UPSTREAM_API_KEY}`) {
    error(res, 401, 'bench upstream: missing or wrong Authorization header', 'invalid_request_error');
    return;
  }
  let body: { model?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown } };
  try {
    body = JSON.parse(raw.toString('utf8')) as typeof body;
  } catch {
    error(res, 400, 'bench upstream: body is not JSON', 'invalid_request_error');
    return;
  }
  countUserAgent(req.headers['user-agent']);
  const model = typeof body.model === 'string' ? body.model : 'unknown';
  const p = prepare(model);
  if (body.stream === true) {
    streamRequests++;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
    });
    const events = body.stream_options?.include_usage === true ? p.withUsage : p.withoutUsage;
    const drip = DRIP.exec(model);
    if (drip) {
      streamDrip(res, model, Math.max(1, Number(drip[1])), Math.max(1, Number(drip[2])));
    } else if (model === SLOW_MODEL) {
      res.write(events[0]);
      res.write(events[1]);
      setTimeout(() => writeEvents(res, events, 2, 'burst'), SLOW_PAUSE_MS);
    } else {
      writeEvents(res, events, 0, sseMode);
    }
    return;
  }
  chatRequests++;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': p.json.length });
  res.end(p.json);
}

let dripOpen = 0;
let dripPeak = 0;

/** One small event per interval until `count`, then usage and [DONE]; stops if the client goes. */
function streamDrip(res: http.ServerResponse, model: string, intervalMs: number, count: number): void {
  const id = 'chatcmpl-drip';
  const chunk = (choices: unknown[], usage: unknown = null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: CREATED, model, choices, usage })}\n\n`;
  dripOpen++;
  if (dripOpen > dripPeak) dripPeak = dripOpen;
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    dripOpen--;
    if (timer) clearTimeout(timer);
  };
  res.once('close', finish);
  res.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
  const tick = () => {
    if (closed || res.destroyed) return finish();
    if (sent < count) {
      res.write(chunk([{ index: 0, delta: { content: ` w${sent}` }, logprobs: null, finish_reason: null }]));
      sent++;
      timer = setTimeout(tick, intervalMs);
      return;
    }
    res.write(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]));
    res.write(chunk([], USAGE));
    res.end('data: [DONE]\n\n');
    finish();
  };
  timer = setTimeout(tick, intervalMs);
}

/**
 * In `split` mode each event is its own write on its own turn of the event loop, so that
 * the gateway receives them as separate chunks, as from a model producing tokens; Node
 * would otherwise coalesce writes made in one tick into a single packet.
 */
function writeEvents(res: http.ServerResponse, events: Buffer[], from: number, mode: SseMode): void {
  if (res.destroyed) return;
  if (mode === 'burst') {
    for (let i = from; i < events.length - 1; i++) res.write(events[i]);
    res.end(events[events.length - 1]);
    return;
  }
  if (from >= events.length - 1) {
    res.end(events[events.length - 1]);
    return;
  }
  res.write(events[from]);
  setImmediate(writeEvents, res, events, from + 1, mode);
}

export function createUpstream(): http.Server {
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'POST' && url === '/v1/chat/completions') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => onChat(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
      return;
    }
    if (req.method === 'GET' && url === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: [{ id: 'm', object: 'model', created: CREATED, owned_by: 'bench' }] });
      return;
    }
    if (req.method === 'GET' && url === '/__stats') {
      sendJson(res, 200, {
        chat: chatRequests,
        stream: streamRequests,
        rejected,
        userAgents: Object.fromEntries(userAgents),
        dripOpen,
        dripPeak,
        connections: openConnections,
      });
      return;
    }
    req.resume();
    error(res, 404, `bench upstream: no route ${req.method} ${url}`, 'not_found');
  });
  server.on('connection', (socket) => {
    openConnections++;
    socket.once('close', () => openConnections--);
  });
  // Long keep-alive so the gateway's pool and the bench's clients keep their connections.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  return server;
}

function portArg(argv: string[]): number {
  const i = argv.indexOf('--port');
  if (i >= 0 && argv[i + 1] !== undefined) {
    const n = Number(argv[i + 1]);
    if (Number.isInteger(n) && n >= 0 && n < 65536) return n;
  }
  return 0;
}

function portsArg(argv: string[]): number {
  const i = argv.indexOf('--ports');
  const n = i >= 0 ? Number(argv[i + 1]) : 1;
  return Number.isInteger(n) && n >= 1 && n <= 64 ? n : 1;
}

function sseArg(argv: string[]): SseMode {
  const i = argv.indexOf('--sse');
  return i >= 0 && argv[i + 1] === 'burst' ? 'burst' : 'split';
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (isMain) {
  sseMode = sseArg(process.argv.slice(2));
  const argv = process.argv.slice(2);
  const count = portsArg(argv);
  const servers: http.Server[] = [];
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createUpstream();
      servers.push(server);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  void (async () => {
    const ports: number[] = [await listen(portArg(argv))];
    for (let i = 1; i < count; i++) ports.push(await listen(0));
    if (process.send) process.send({ type: 'listening', port: ports[0], ports });
    else console.log(`bench upstream listening on ${ports.map((p) => `http://127.0.0.1:${p}/v1`).join(', ')}`);
  })().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
  // Forked by the bench: leave with it, even if it could not say goodbye.
  if (process.send) process.on('disconnect', () => process.exit(0));
  const stop = () => {
    for (const server of servers) server.close().closeAllConnections();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
