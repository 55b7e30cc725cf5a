import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';

/**
 * `Idempotency-Key`: a client that retries a call (after a timeout, a dropped connection) gets
 * the first call's answer again, byte for byte, without a second upstream call or a second
 * charge. Only successful (2xx) answers are kept, in memory for `ttlMs`: a refusal or an error
 * is not what a retry must repeat (a retry after a budget raise, a fixed body or an outage really
 * retries). The byte budget counts each whole entry (key, headers, body and bookkeeping), so a
 * flood of unique keys with small answers is bounded like one of large answers. A key still in
 * flight → 409.
 */
export interface IdempotencyOptions {
  ttlMs?: number;
  maxBytes?: number;
}

interface Recorded {
  status: number;
  headers: OutgoingHttpHeaders;
  chunks: Buffer[];
  /** Bytes of the body. */
  bytes: number;
  /** What the entry holds in memory, about: key, headers, body and bookkeeping. */
  size: number;
  expiresAt: number;
}

const MAX_KEY_LENGTH = 255;
/** Memory of an entry beyond its strings and body: the map slot, objects, arrays, numbers. */
const ENTRY_OVERHEAD_BYTES = 512;
/** Memory of one header beyond its name and value. */
const HEADER_OVERHEAD_BYTES = 32;

export class IdempotencyCache {
  private readonly done = new Map<string, Recorded>();
  private readonly inFlight = new Set<string>();
  private bytes = 0;
  private readonly ttlMs: number;
  private readonly maxBytes: number;

  constructor(options: IdempotencyOptions = {}, private readonly clock: () => number = Date.now) {
    this.ttlMs = options.ttlMs ?? 24 * 3_600_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  /** The cache key for a request, or null when it carries no Idempotency-Key. */
  static keyOf(header: string | string[] | undefined, scope: string, path: string): string | null {
    if (header === undefined) return null;
    const value = Array.isArray(header) ? header[0] : header;
    if (!value || value.length > MAX_KEY_LENGTH) {
      throw new GatewayError('invalid_request', `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters`, { param: 'Idempotency-Key' });
    }
    return `${scope}\u0000${path}\u0000${value}`;
  }

  /** Replays a kept answer; true when it did. */
  replay(key: string, res: ServerResponse): boolean {
    if (this.inFlight.has(key)) {
      throw new GatewayError('conflict', 'a request with this Idempotency-Key is still in progress; retry when it has finished');
    }
    const recorded = this.done.get(key);
    if (!recorded) return false;
    if (recorded.expiresAt <= this.clock()) {
      this.forget(key, recorded);
      return false;
    }
    res.writeHead(recorded.status, { ...recorded.headers, 'idempotent-replayed': 'true' });
    for (const chunk of recorded.chunks) res.write(chunk);
    res.end();
    return true;
  }

  /** Records what the handler writes to `res`, and keeps it when the answer is worth keeping. */
  record(key: string, res: ServerResponse): void {
    this.inFlight.add(key);
    const chunks: Buffer[] = [];
    let bytes = 0;
    let tooBig = false;
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function' || tooBig) return;
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, (typeof encoding === 'string' ? encoding : 'utf8') as BufferEncoding);
      bytes += buffer.length;
      if (bytes > this.maxBytes / 16) tooBig = true;
      else chunks.push(buffer);
    };
    // Headers given to writeHead never show in getHeaders(): keep them as they pass.
    let headHeaders: OutgoingHttpHeaders = {};
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    (res as { writeHead: unknown }).writeHead = (status: number, ...rest: unknown[]) => {
      const headers = rest.find((arg) => typeof arg === 'object' && arg !== null);
      if (headers && !Array.isArray(headers)) headHeaders = { ...(headers as OutgoingHttpHeaders) };
      return writeHead(status, ...rest);
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    (res as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]) => {
      keep(chunk, rest[0]);
      return write(chunk, ...rest);
    };
    (res as { end: unknown }).end = (chunk?: unknown, ...rest: unknown[]) => {
      keep(chunk, rest[0]);
      return end(chunk, ...rest);
    };
    res.once('close', () => {
      this.inFlight.delete(key);
      const status = res.statusCode;
      const complete = res.writableFinished;
      if (!complete || tooBig || status < 200 || status >= 300) return;
      const headers: OutgoingHttpHeaders = { ...res.getHeaders(), ...lowerCased(headHeaders) };
      delete headers['content-length'];
      delete headers['transfer-encoding'];
      if (bytes > 0) headers['content-length'] = String(bytes);
      const size = ENTRY_OVERHEAD_BYTES + Buffer.byteLength(key) + headersSize(headers) + bytes;
      if (size > this.maxBytes / 16) return;
      this.keep(key, { status, headers, chunks, bytes, size, expiresAt: this.clock() + this.ttlMs });
    });
  }

  private keep(key: string, recorded: Recorded): void {
    const previous = this.done.get(key);
    if (previous) this.forget(key, previous);
    this.done.set(key, recorded);
    this.bytes += recorded.size;
    // Oldest first out (entries are in the order they were kept, so expired ones lead), until
    // nothing expired is left at the front and the whole is within the byte budget.
    const now = this.clock();
    for (const [oldKey, old] of this.done) {
      if (this.bytes <= this.maxBytes && old.expiresAt > now) break;
      this.forget(oldKey, old);
    }
  }

  private forget(key: string, recorded: Recorded): void {
    this.done.delete(key);
    this.bytes -= recorded.size;
  }
}

function headersSize(headers: OutgoingHttpHeaders): number {
  let size = 0;
  for (const [name, value] of Object.entries(headers)) {
    const values = Array.isArray(value) ? value : [value];
    size += HEADER_OVERHEAD_BYTES + name.length;
    for (const item of values) size += item === undefined ? 0 : Buffer.byteLength(String(item));
  }
  return size;
}

function lowerCased(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
