import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/errors.js';

/** Reads the whole request body, refusing it once it passes `maxBytes` (413, before buffering more). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Parses a JSON body; anything else is a 400 that says what is wrong. */
export function parseJsonBody(req: IncomingMessage, body: Buffer): unknown {
  // Lenient about the declared type (curl -d sends a form type with a JSON body); forms are refused.
  const type = req.headers['content-type'];
  if (type && /^multipart\//i.test(type)) {
    throw new GatewayError('unsupported_media_type', `send the body as JSON with content-type: application/json (got ${type.slice(0, 80)})`);
  }
  if (body.length === 0) throw new GatewayError('invalid_request', 'the request body is empty; send a JSON object');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new GatewayError('invalid_request', `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('payload_too_large', `the request body is larger than the limit of ${maxBytes} bytes (server.maxBodyBytes)`);
}
