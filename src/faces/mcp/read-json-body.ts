/** Reads a JSON request body with a size limit, for requests the caller did not parse. */
import type { IncomingMessage } from 'node:http';
import { decodeUtf8, jsonDepthExceeds, MAX_JSON_DEPTH } from '../../http/body.js';

export type JsonBody =
  | { ok: true; value: unknown }
  | { ok: false; status: number; code: number; message: string };

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<JsonBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      return { ok: false, status: 413, code: -32000, message: `Request body larger than ${maxBytes} bytes.` };
    }
    chunks.push(chunk);
  }
  const text = decodeUtf8(Buffer.concat(chunks));
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
