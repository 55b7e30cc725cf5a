/**
 * Caps on what one upstream answer may send. Nothing else bounds an upstream: a body of
 * hundreds of megabytes, or a stream that never sends the blank line ending its event, would be
 * held in memory whole. Past a cap the attempt fails as `upstream_invalid` and the response
 * is destroyed, which closes its connection, so its memory is released at once.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { GatewayError } from '../core/errors.js';

export interface ResponseLimits {
  /** A whole answer that is not an event stream. */
  maxBodyBytes: number;
  /** One server-sent event: the bytes between two blank lines. */
  maxEventBytes: number;
  /** A whole event stream. */
  maxStreamBytes: number;
}

function tooLarge(what: string, setting: keyof ResponseLimits, limit: number): GatewayError {
  return new GatewayError(
    'upstream_invalid',
    `the upstream sent ${what} over ${limit} bytes (routing.responseLimits.${setting}); the answer was dropped and its connection closed`,
  );
}

/** Destroys an upstream body; the connection under it closes. Its own error event is not ours to report. */
export function discardBody(body: Readable, error?: Error): void {
  body.on('error', () => undefined);
  body.destroy(error);
}

/** Reads a whole answer of at most `maxBodyBytes`; a larger one (declared or sent) fails the read. */
export async function readCappedBody(body: Readable, headers: IncomingHttpHeaders, limits: Pick<ResponseLimits, 'maxBodyBytes'>): Promise<Buffer> {
  const limit = limits.maxBodyBytes;
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    const error = tooLarge('an answer', 'maxBodyBytes', limit);
    discardBody(body);
    throw error;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      discardBody(body);
      throw tooLarge('an answer', 'maxBodyBytes', limit);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}

const LF = 0x0a;
const CR = 0x0d;
// Two line ends in a row end an event. `\r\n` is one line end; `\r\n\r\n` holds `\n\r`.
const EVENT_ENDS = [Buffer.from('\n\n'), Buffer.from('\r\r'), Buffer.from('\n\r')];

function endsEvent(first: number, second: number): boolean {
  return (first === LF && (second === LF || second === CR)) || (first === CR && second === CR);
}

/**
 * Counts an event stream's bytes as they arrive: in all, and since the last event ended. Only
 * the bytes are counted (a few `lastIndexOf` per chunk); the events are parsed elsewhere.
 */
export class EventStreamMeter {
  private total = 0;
  private sinceEventEnd = 0;
  private lastByte = -1;

  constructor(private readonly limits: Pick<ResponseLimits, 'maxEventBytes' | 'maxStreamBytes'>) {}

  /** The error to fail the stream with when this chunk passes a cap; undefined otherwise. */
  add(chunk: Uint8Array): GatewayError | undefined {
    if (chunk.length === 0) return undefined;
    this.total += chunk.length;
    if (this.total > this.limits.maxStreamBytes) return tooLarge('a stream', 'maxStreamBytes', this.limits.maxStreamBytes);
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let end = -1;
    for (const pattern of EVENT_ENDS) {
      const at = buffer.lastIndexOf(pattern);
      if (at !== -1 && at + 2 > end) end = at + 2;
    }
    if (end === -1 && endsEvent(this.lastByte, buffer[0]!)) end = 1;
    this.sinceEventEnd = end === -1 ? this.sinceEventEnd + buffer.length : buffer.length - end;
    this.lastByte = buffer[buffer.length - 1]!;
    if (this.sinceEventEnd > this.limits.maxEventBytes) return tooLarge('one stream event', 'maxEventBytes', this.limits.maxEventBytes);
    return undefined;
  }
}
