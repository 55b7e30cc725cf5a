/**
 * The loopback HTTP server: reads and records each request, finds its route, checks the
 * provider's auth, then runs the model's scripted behavior.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { messagesRoute, modelsListRoute as anthropicModelsRoute } from './anthropic.js';
import { Scripts, run, sleep } from './behaviors.js';
import { modelsListRoute as cohereModelsRoute, rerankRoute } from './cohere.js';
import {
  batchEmbedContentsRoute,
  embedContentRoute,
  generateContentRoute,
  modelsListRoute as geminiModelsRoute,
  streamGenerateContentRoute,
} from './gemini.js';
import { chatCompletionsRoute } from './openai-chat.js';
import { speechRoute, transcriptionsRoute } from './openai-audio.js';
import { embeddingsRoute, imagesRoute, modelsRoute } from './openai-extras.js';
import type { RecordedRequest, Route, StartOptions, StartedUpstream, WireRequest } from './types.js';

// Routes that share a path come first with their `when`, OpenAI's last.
const ROUTES: Route[] = [
  chatCompletionsRoute,
  embeddingsRoute,
  imagesRoute,
  speechRoute,
  transcriptionsRoute,
  anthropicModelsRoute,
  cohereModelsRoute,
  geminiModelsRoute,
  modelsRoute,
  messagesRoute,
  generateContentRoute,
  streamGenerateContentRoute,
  embedContentRoute,
  batchEmbedContentsRoute,
  rerankRoute,
];

const DEFAULT_MODELS = ['gpt-4o-mini', 'text-embedding-3-small', 'gpt-image-1'];
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const DEFAULT_HANG_LIMIT_MS = 120_000;

async function readBody(req: IncomingMessage): Promise<{ body: unknown; form?: FormData }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buffer);
  }
  const raw = Buffer.concat(chunks);
  const text = raw.toString('utf8');
  if (text.length === 0) return { body: undefined };
  const type = req.headers['content-type'] ?? '';
  if (/^multipart\/form-data/i.test(type)) {
    // Parsed from the bytes: the text form above would mangle binary parts. Recorded as text.
    const form = await new Response(raw as Buffer<ArrayBuffer>, { headers: { 'content-type': type } }).formData().catch(() => undefined);
    return form ? { body: text, form } : { body: text };
  }
  try {
    return { body: JSON.parse(text) as unknown };
  } catch {
    return { body: text };
  }
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function match(req: WireRequest): { route: Route; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    const found = route.method === req.method ? route.pattern.exec(req.path) : null;
    if (found && (!route.when || route.when(req))) return { route, params: { ...found.groups } };
  }
  return undefined;
}

export async function startUpstream(options: StartOptions = {}): Promise<StartedUpstream> {
  const requests: RecordedRequest[] = [];
  const scripts = new Scripts();
  const sockets = new Set<Socket>();
  const closing = new AbortController();
  const latencyMs = options.latencyMs ?? 0;
  const hangLimitMs = options.hangLimitMs ?? DEFAULT_HANG_LIMIT_MS;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const { body, form } = await readBody(req);
    const wire: WireRequest = { method, path: url.pathname, query: url.searchParams, headers: flatHeaders(req), body, params: {}, ...(form ? { form } : {}) };
    const found = match(wire);
    if (found) wire.params = found.params;
    const model = found?.route.model(wire);
    requests.push({
      method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      headers: wire.headers,
      body,
      ...(model !== undefined ? { model } : {}),
    });

    if (!found) {
      const error = { error: { message: `Invalid URL (${method} ${url.pathname})`, type: 'invalid_request_error', param: null, code: null } };
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify(error));
      return;
    }
    const { route } = found;
    const denied = route.family.authError(wire);
    const presented = route.family.credential(wire);
    const refused = denied ?? (options.apiKeys && presented !== undefined && !options.apiKeys.includes(presented) ? route.family.keyRejected() : undefined);
    if (refused?.kind === 'json') {
      res.writeHead(refused.status, { 'content-type': 'application/json' }).end(JSON.stringify(refused.body));
      return;
    }

    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const signal = AbortSignal.any([closing.signal, gone.signal]);
    const behavior = scripts.next(model);
    if (!(await sleep(latencyMs, signal))) return;
    await run(behavior, {
      req,
      res,
      family: route.family,
      model,
      signal,
      hangLimitMs,
      render: (answer) =>
        route.render(wire, answer, { knownModels: [...new Set([...(options.models ?? DEFAULT_MODELS), ...scripts.models()])] }),
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type: 'server_error', param: null, code: null } }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    script: (model, behavior) => scripts.set(model, behavior),
    reset() {
      requests.length = 0;
      scripts.clear();
    },
    close() {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return closed;
    },
  };
}
