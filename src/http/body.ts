import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/errors.js';

/**
 * Deepest nesting of arrays and objects a JSON body may have. JSON.parse copes with far more,
 * but the schema checks and renderers after it recurse per level and would overflow the stack
 * (a 500) on a body of a few kilobytes; no real request comes near this.
 */
export const MAX_JSON_DEPTH = 128;

const abandoned = new WeakSet<IncomingMessage>();

/**
 * True when a body reader gave up part-way (the body passed its limit): the unread rest would be
 * taken for the next request on the connection, which must therefore close after the answer.
 */
export function bodyAbandoned(req: IncomingMessage): boolean {
  return req.destroyed || abandoned.has(req);
}

/**
 * Reads the whole request body, refusing it once it passes `maxBytes` (413, before buffering more).
 * Listens for events rather than iterating the stream: the async iterator costs a generator and
 * half a dozen listeners per request, a visible share of a small request's CPU.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  if (req.complete && req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        done();
        req.pause();
        abandoned.add(req);
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    const onClose = () => {
      done();
      reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

/** Parses a JSON body; anything else is a 400 that says what is wrong. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new GatewayError('invalid_request', 'the request body is empty; send a JSON object');
  const text = decodeUtf8(body);
  if (text === null) throw new GatewayError('invalid_request', 'the request body is not valid UTF-8; JSON must be sent as UTF-8');
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new GatewayError('invalid_request', `the request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new GatewayError('invalid_request', `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as text, or null when it is not valid UTF-8 (no silent U+FFFD in prompts). */
export function decodeUtf8(body: Uint8Array): string | null {
  try {
    return strictUtf8.decode(body);
  } catch {
    return null;
  }
}

/** True when JSON text opens more than `max` arrays/objects at once (brackets inside strings do not count). */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('payload_too_large', `the request body is larger than the limit of ${maxBytes} bytes (server.maxBodyBytes)`);
}

/** The request's body read within `maxBytes` and parsed as JSON: what every JSON route starts with. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return parseJsonBody(await readBody(req, maxBytes));
}
