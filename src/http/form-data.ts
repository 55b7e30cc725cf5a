import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/errors.js';

/**
 * Parses a `multipart/form-data` body that `readBody` has already read under the size cap, with
 * the platform's own parser (undici's, behind `Response.formData()`): no new dependency, and
 * no hand-written boundary scanning. A body it cannot read is a 400 that says what to send.
 */
export async function parseFormData(req: IncomingMessage, body: Buffer): Promise<FormData> {
  // The request guard has already refused any type but multipart/form-data.
  const type = req.headers['content-type'] ?? '';
  if (!/;\s*boundary=/i.test(type)) throw new GatewayError('invalid_request', 'the multipart/form-data content-type has no boundary');
  try {
    // Buffers read from a socket sit on plain ArrayBuffers (never shared ones), as BodyInit wants.
    const bytes = body as Buffer<ArrayBuffer>;
    return await new Response(bytes, { headers: { 'content-type': type } }).formData();
  } catch {
    throw new GatewayError('invalid_request', 'the multipart/form-data body could not be read; check its boundary and part headers');
  }
}
