/** Reads a JSON request body with a size limit, for requests the caller did not parse. */
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import { decodeUtf8, jsonDepthExceeds, MAX_JSON_DEPTH, readBody } from '../../http/body.js';

export type JsonBody =
  | { ok: true; value: unknown }
  | { ok: false; status: number; code: number; message: string };

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<JsonBody> {
  let body: Buffer;
  try {
    body = await readBody(req, maxBytes);
  } catch (error) {
    if (error instanceof GatewayError && error.kind === 'payload_too_large') {
      return { ok: false, status: 413, code: -32000, message: `Request body larger than ${maxBytes} bytes.` };
    }
    throw error;
  }
  const text = decodeUtf8(body);
  if (text === null) return { ok: false, status: 400, code: -32700, message: 'Parse error: the body is not valid UTF-8' };
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    return { ok: false, status: 400, code: -32700, message: `Parse error: the body nests deeper than ${MAX_JSON_DEPTH} levels` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, code: -32700, message: 'Parse error: Invalid JSON' };
  }
}
