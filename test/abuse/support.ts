/**
 * Shared pieces of the abuse tests: the routes with a valid body each, the error shape of each
 * face, a raw socket client (for bytes an HTTP client will not send) and JSON path helpers.
 */
import { connect } from 'node:net';

export type Shape = 'openai' | 'anthropic' | 'aisdk' | 'jsonrpc';

export interface RouteSpec {
  method: 'POST' | 'GET';
  path: string;
  shape: Shape;
  /** The face recorded on ledger rows, for routes whose requests reach the core; null otherwise. */
  face: 'openai' | 'anthropic' | 'responses' | 'aisdk' | null;
  headers?: Record<string, string>;
  /** A body the route accepts (JSON routes). */
  body?: unknown;
  /** Text fields of a multipart form the route accepts (with an audio `file` part). */
  form?: Record<string, string>;
  /** Query parameters a GET route accepts. */
  query?: Record<string, string>;
}

export const ANTHROPIC_VERSION = { 'anthropic-version': '2023-06-01' };
export const MCP_ACCEPT = { accept: 'application/json, text/event-stream' };

export const ROUTES: RouteSpec[] = [
  { method: 'POST', path: '/v1/chat/completions', shape: 'openai', face: 'openai', body: { model: 'mock/echo', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] } },
  { method: 'POST', path: '/v1/embeddings', shape: 'openai', face: 'openai', body: { model: 'mock/embed', input: ['a', 'b'] } },
  {
    method: 'POST',
    path: '/v1/messages',
    shape: 'anthropic',
    face: 'anthropic',
    headers: ANTHROPIC_VERSION,
    body: { model: 'mock/echo', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
  },
  {
    method: 'POST',
    path: '/v1/messages/count_tokens',
    shape: 'anthropic',
    face: null,
    headers: ANTHROPIC_VERSION,
    body: { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] },
  },
  { method: 'POST', path: '/v1/responses', shape: 'openai', face: 'responses', body: { model: 'mock/echo', input: 'hi', max_output_tokens: 16 } },
  { method: 'POST', path: '/v1/rerank', shape: 'openai', face: 'openai', body: { model: 'mock/rerank', query: 'red fox', documents: ['a red fox', 'a blue whale'] } },
  { method: 'POST', path: '/v1/images/generations', shape: 'openai', face: 'openai', body: { model: 'mock/image', prompt: 'a red square', n: 1 } },
  { method: 'POST', path: '/v1/audio/speech', shape: 'openai', face: 'openai', body: { model: 'mock/speak', input: 'hello there', voice: 'alloy' } },
  { method: 'POST', path: '/v1/audio/transcriptions', shape: 'openai', face: 'openai', form: { model: 'mock/transcribe', response_format: 'json' } },
  {
    method: 'POST',
    path: '/v3/ai/language-model',
    shape: 'aisdk',
    face: 'aisdk',
    headers: { 'ai-language-model-id': 'mock/echo', 'ai-language-model-specification-version': '3' },
    body: { prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], maxOutputTokens: 16 },
  },
  { method: 'POST', path: '/v1/admin/keys', shape: 'openai', face: null, body: { name: 'fuzz-key', budgetUsd: 1 } },
  { method: 'GET', path: '/v1/report', shape: 'openai', face: null, query: { start_date: '2026-01-01', end_date: '2026-12-31', group_by: 'model' } },
  { method: 'GET', path: '/v1/credits', shape: 'openai', face: null },
  {
    method: 'POST',
    path: '/mcp',
    shape: 'jsonrpc',
    face: null,
    headers: MCP_ACCEPT,
    body: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1.0.0' } } },
  },
];

/** Why a parsed error body is not the face's error shape, or null when it is. */
export function shapeProblem(shape: Shape, json: unknown): string | null {
  const body = json as Record<string, unknown> | null;
  if (!body || typeof body !== 'object') return 'the body is not a JSON object';
  const error = body.error as Record<string, unknown> | undefined;
  switch (shape) {
    case 'openai':
      if (!error || typeof error !== 'object') return 'no error object';
      if (typeof error.message !== 'string' || !error.message) return 'error.message is not a non-empty string';
      if (typeof error.type !== 'string') return 'error.type is not a string';
      if (!('param' in error) || (error.param !== null && typeof error.param !== 'string')) return 'error.param is not a string or null';
      if (typeof error.code !== 'string') return 'error.code is not a string';
      return null;
    case 'anthropic':
      if (body.type !== 'error') return 'type is not "error"';
      if (!error || typeof error.type !== 'string' || typeof error.message !== 'string' || !error.message) return 'error.type/message missing';
      return null;
    case 'aisdk':
      if (!error || typeof error !== 'object') return 'no error object';
      if (typeof error.message !== 'string' || !error.message || typeof error.type !== 'string' || typeof error.code !== 'string') return 'error.message/type/code missing';
      return null;
    case 'jsonrpc':
      if (body.jsonrpc !== '2.0') return 'jsonrpc is not "2.0"';
      if (!error || typeof error.code !== 'number' || typeof error.message !== 'string') return 'error.code/message missing';
      if (!('id' in body)) return 'no id';
      return null;
  }
}

/** A small audio file (a WAV header and silence) for transcription forms. */
export const WAV = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.from([0x24, 0x08, 0, 0]),
  Buffer.from('WAVEfmt '),
  Buffer.from([16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x40, 0x1f, 0, 0, 1, 0, 8, 0]),
  Buffer.from('data'),
  Buffer.from([0, 8, 0, 0]),
  Buffer.alloc(2048, 0x80),
]);

export const BOUNDARY = 'tollgate-fuzz-boundary';

/** A multipart form with text fields and, unless `file` is null, an audio `file` part. */
export function multipart(fields: Record<string, string | Buffer>, file: { name: string; type: string; bytes: Buffer } | null = { name: 'a.wav', type: 'audio/wav', bytes: WAV }): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name.replace(/["\r\n]/g, '_')}"\r\n\r\n`), Buffer.from(value), Buffer.from('\r\n'));
  }
  if (file) {
    parts.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${file.name.replace(/["\r\n]/g, '_')}"\r\nContent-Type: ${file.type.replace(/[\r\n]/g, '')}\r\n\r\n`),
      file.bytes,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

/** Every path into a JSON value (the root is `[]`), for substituting values at random places. */
export function jsonPaths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const paths: Array<Array<string | number>> = [prefix];
  if (Array.isArray(value)) value.forEach((item, index) => paths.push(...jsonPaths(item, [...prefix, index])));
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) paths.push(...jsonPaths(item, [...prefix, key]));
  return paths;
}

/** A copy of `value` with `replacement` at `path`. */
export function setAt(value: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = replacement;
  return copy;
}

/** Every path to a string inside a JSON value. */
export function stringPaths(value: unknown): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const walk = (node: unknown, at: Array<string | number>) => {
    if (typeof node === 'string') out.push(at);
    else if (Array.isArray(node)) node.forEach((item, index) => walk(item, [...at, index]));
    else if (node && typeof node === 'object') for (const [key, item] of Object.entries(node)) walk(item, [...at, key]);
  };
  walk(value, []);
  return out;
}

export interface RawAnswer {
  /** Everything the server sent, as latin1 text. */
  text: string;
  /** The status of the first response line, or null when none came. */
  status: number | null;
  /** The server closed the connection (rather than the deadline ending the wait). */
  closedByServer: boolean;
  elapsedMs: number;
}

/**
 * Writes `chunks` to a fresh loopback connection, `gapMs` apart, and reads until the server
 * closes or `deadlineMs` passes (then the socket is destroyed: every wait is bounded).
 */
export function rawExchange(port: number, chunks: Array<string | Buffer>, options: { gapMs?: number; deadlineMs: number; stopWhenAnswered?: boolean }): Promise<RawAnswer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(deadline);
      socket.destroy();
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ text, status: match ? Number(match[1]) : null, closedByServer, elapsedMs: Date.now() - started });
    };
    const deadline = setTimeout(() => finish(false), options.deadlineMs);
    socket.on('data', (data) => {
      text += data.toString('latin1');
      if (options.stopWhenAnswered && /\r\n\r\n/.test(text)) {
        const length = /content-length: (\d+)/i.exec(text);
        const headerEnd = text.indexOf('\r\n\r\n') + 4;
        if (!length || text.length - headerEnd >= Number(length[1])) finish(false);
      }
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    let index = 0;
    const writeNext = () => {
      if (done || index >= chunks.length || socket.destroyed) return;
      socket.write(chunks[index++]!);
      if (index < chunks.length) timer = setTimeout(writeNext, options.gapMs ?? 0);
    };
    socket.once('connect', writeNext);
  });
}

/** The RSS of a process in bytes, from /proc (Linux). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}
