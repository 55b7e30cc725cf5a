import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { StoreOutage } from '../policy/state/outage.js';
import type { IdempotencyRecords, StoredAnswer } from '../policy/state/types.js';
import type { Middleware } from './chain.js';
import type { ObservedResponse } from './observed-response.js';

/**
 * `Idempotency-Key`: a client that retries a call (after a timeout, a dropped connection) gets
 * the first call's answer again, byte for byte, without a second upstream call or a second
 * charge. Only successful (2xx) answers are kept, for `ttlMs`, each counted whole (body, headers
 * and key) against the size cap, so a retry after any error really retries. A key still in
 * flight, on this process or another sharing the store → 409.
 */
export interface IdempotencyOptions {
  ttlMs?: number;
  /** The largest entry kept, in bytes: body, headers and key together. */
  maxEntryBytes?: number;
  /** How long a key stays marked in flight if its process never reports back. */
  inFlightMs?: number;
}

const MAX_KEY_LENGTH = 255;

export class IdempotencyCache {
  private readonly ttlMs: number;
  private readonly maxEntryBytes: number;
  private readonly inFlightMs: number;
  /** Keys this process claimed and not yet finished, with their claim tokens. */
  private readonly claims = new Map<string, string>();

  constructor(
    private readonly records: IdempotencyRecords,
    private readonly outage: StoreOutage,
    options: IdempotencyOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.ttlMs = options.ttlMs ?? 24 * 3_600_000;
    this.maxEntryBytes = options.maxEntryBytes ?? 4 * 1024 * 1024;
    this.inFlightMs = options.inFlightMs ?? 600_000;
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

  /** Replays a kept answer (true); otherwise claims the key for this request (false). */
  async replay(key: string, res: ServerResponse): Promise<boolean> {
    const token = randomUUID();
    const now = this.clock();
    let claim;
    try {
      claim = await this.records.claim(key, token, now, now + this.inFlightMs);
    } catch (error) {
      this.outage.checkFailed(error, 'the Idempotency-Key');
      return false;
    }
    if (claim.kind === 'in-flight') {
      throw new GatewayError('conflict', 'a request with this Idempotency-Key is still in progress; retry when it has finished');
    }
    if (claim.kind === 'claimed') {
      this.claims.set(key, token);
      return false;
    }
    res.writeHead(claim.answer.status, { ...claim.answer.headers, 'idempotent-replayed': 'true' });
    res.end(claim.answer.body);
    return true;
  }

  /** Records what the handler writes to `res`, and keeps it when the answer is worth keeping. */
  record(key: string, res: ObservedResponse): void {
    const token = this.claims.get(key);
    if (token === undefined) return; // not claimed: the store was out of reach and outages are allowed
    this.claims.delete(key);
    const chunks: Buffer[] = [];
    let bytes = 0;
    let tooBig = false;
    // Headers given to writeHead never show in getHeaders(): keep them as they pass.
    let headHeaders: OutgoingHttpHeaders = {};
    res.observe({
      head: (_status, headers) => {
        if (headers) headHeaders = { ...headers };
      },
      chunk: (chunk) => {
        if (tooBig) return;
        bytes += chunk.length;
        if (bytes > this.maxEntryBytes) tooBig = true;
        else chunks.push(chunk);
      },
    });
    res.once('close', () => {
      const now = this.clock();
      const status = res.statusCode;
      let kept: Parameters<IdempotencyRecords['finish']>[3] = null;
      if (res.writableFinished && !tooBig && status >= 200 && status < 300) {
        const answer: StoredAnswer = { status, headers: storableHeaders({ ...res.getHeaders(), ...lowerCased(headHeaders) }, bytes), body: Buffer.concat(chunks, bytes) };
        const entryBytes = answer.body.length + Buffer.byteLength(JSON.stringify(answer.headers)) + Buffer.byteLength(key) + 3;
        if (entryBytes <= this.maxEntryBytes) kept = { answer, bytes: entryBytes, expiresAt: now + this.ttlMs };
      }
      this.records.finish(key, token, now, kept).catch((error: unknown) => this.outage.lost(error, 'an idempotent answer'));
    });
  }
}

/** A POST to an endpoint that keeps its answers, carrying an Idempotency-Key, is answered once per key. */
export function replayIdempotent(cache: IdempotencyCache): Middleware {
  return async (exchange, next) => {
    const { req, res, endpoint, method, path, context } = exchange;
    const key = endpoint.idempotent && method === 'POST' ? IdempotencyCache.keyOf(req.headers['idempotency-key'], context.keyId ?? 'anonymous', path) : null;
    if (key) {
      if (await cache.replay(key, res)) return;
      cache.record(key, res);
    }
    await next();
  };
}

/** Headers to replay: framing is recomputed for the stored body. */
function storableHeaders(headers: OutgoingHttpHeaders, bytes: number): StoredAnswer['headers'] {
  const out: StoredAnswer['headers'] = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name === 'content-length' || name === 'transfer-encoding') continue;
    // CORS headers answer the Origin of this request; a replay gets those of its own.
    if (name.startsWith('access-control-')) continue;
    out[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  if (bytes > 0) out['content-length'] = String(bytes);
  return out;
}

function lowerCased(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
