import { Readable } from 'node:stream';
import { upstreamHeaders } from '../core/upstream-headers.js';
import type { Dispatcher } from 'undici';
import { Agent, request } from '../http/undici.js';
import { discardBody, EventStreamMeter, readCappedBody, type ResponseLimits } from './response-limits.js';

/** One keep-alive connection pool per origin, shared by every provider. */
export const upstreamAgent = new Agent({
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 300_000,
  // No cap on sockets per upstream: a cap queues streams behind each other (1,000 open streams
  // to one provider would wait on 256); the upstream's own limits answer with 429s instead.
  connections: null,
  // Our router owns deadlines (per-provider timeouts); undici's own would cut long streams.
  headersTimeout: 0,
  bodyTimeout: 0,
});

type FetchFunction = typeof globalThis.fetch;

/**
 * A `fetch` for the AI SDK provider packages built on `undici.request`: Node's web fetch costs
 * several times more CPU per call (PEERS.md). Non-streaming bodies are read into one buffer;
 * event streams are handed over as they arrive. Both are held to `limits`: past one, the
 * answer is destroyed and the read fails with an `upstream_invalid` GatewayError (a provider
 * package may wrap it as the `cause` of its own error; the router looks there).
 */
export function createUndiciFetch(limits: ResponseLimits): FetchFunction {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const extra = upstreamHeaders();
    if (extra) Object.assign(headers, extra);
    const requestBody = init?.body instanceof FormData ? await encodeForm(init.body, headers) : toRequestBody(init?.body);
    const response = await request(url, {
      method: (init?.method ?? 'GET') as Dispatcher.HttpMethod,
      headers,
      body: requestBody,
      signal: init?.signal ?? undefined,
      dispatcher: upstreamAgent,
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (Array.isArray(value)) for (const item of value) responseHeaders.append(name, item);
      else if (value !== undefined) responseHeaders.set(name, value);
    }
    const isStream = (responseHeaders.get('content-type') ?? '').includes('text/event-stream');
    if (isStream) {
      const meter = new EventStreamMeter(limits);
      // Beside the web stream's own listener: it sees every chunk as it arrives, queued or not.
      response.body.on('data', (chunk: Buffer) => {
        const error = meter.add(chunk);
        if (error) discardBody(response.body, error);
      });
      return new Response(Readable.toWeb(response.body) as ReadableStream<Uint8Array>, {
        status: response.statusCode,
        headers: responseHeaders,
      });
    }
    const body = await readCappedBody(response.body, response.headers, limits);
    const empty = response.statusCode === 204 || response.statusCode === 304;
    // Buffer.concat makes a buffer of its own, never a shared one.
    return new Response(empty ? null : (body as Buffer<ArrayBuffer>), { status: response.statusCode, headers: responseHeaders });
  };
}

function toRequestBody(body: RequestInit['body']): string | Buffer | Uint8Array | undefined {
  if (body == null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // Streams are not sent by the providers we use.
  throw new TypeError('unsupported request body type for the upstream fetch');
}

/**
 * A multipart form (audio transcription uploads) encoded by the platform, which also picks the
 * boundary and so owns the content-type. Rare and not on the chat path, so web Response is fine.
 */
async function encodeForm(form: FormData, headers: Record<string, string>): Promise<Buffer> {
  const encoded = new Response(form);
  headers['content-type'] = encoded.headers.get('content-type')!;
  return Buffer.from(await encoded.arrayBuffer());
}
