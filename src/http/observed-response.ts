/**
 * The response every request of the server is answered through. Links of the middleware chain
 * watch what a handler writes (`observe`) and hold the end of the answer (`holdEnd`) through
 * this class, so no link replaces a method of one response.
 */
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';

export interface ResponseObserver {
  /** The status, and the headers given to writeHead (those set before are in `getHeaders()`). */
  head?(status: number, headers: OutgoingHttpHeaders | undefined): void;
  /** Each piece of the body as it is written. */
  chunk?(chunk: Buffer): void;
}

type WriteCallback = (error: Error | null | undefined) => void;
type HeaderList = OutgoingHttpHeaders | OutgoingHttpHeader[];

export class ObservedResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  private observers: ResponseObserver[] | undefined;
  private endGate: (() => Promise<void> | null) | undefined;

  observe(observer: ResponseObserver): void {
    (this.observers ??= []).push(observer);
  }

  /** The end of the answer waits for the promise `gate` returns when it is called (none: no wait). */
  holdEnd(gate: () => Promise<void> | null): void {
    this.endGate = gate;
  }

  override writeHead(statusCode: number, statusMessage?: string, headers?: HeaderList): this;
  override writeHead(statusCode: number, headers?: HeaderList): this;
  override writeHead(statusCode: number, messageOrHeaders?: string | HeaderList, headers?: HeaderList): this {
    if (this.observers) {
      const given = typeof messageOrHeaders === 'string' ? headers : messageOrHeaders;
      const named = given && !Array.isArray(given) ? (given as OutgoingHttpHeaders) : undefined;
      for (const observer of this.observers) observer.head?.(statusCode, named);
    }
    return typeof messageOrHeaders === 'string' ? super.writeHead(statusCode, messageOrHeaders, headers) : super.writeHead(statusCode, messageOrHeaders);
  }

  override write(chunk: unknown, callback?: WriteCallback): boolean;
  override write(chunk: unknown, encoding: BufferEncoding, callback?: WriteCallback): boolean;
  override write(chunk: unknown, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    if (typeof encoding === 'function') {
      this.seen(chunk, undefined);
      return super.write(chunk, encoding);
    }
    this.seen(chunk, encoding);
    return encoding === undefined ? super.write(chunk, callback) : super.write(chunk, encoding, callback);
  }

  override end(callback?: () => void): this;
  override end(chunk: unknown, callback?: () => void): this;
  override end(chunk: unknown, encoding: BufferEncoding, callback?: () => void): this;
  override end(chunk?: unknown, encodingOrCallback?: BufferEncoding | (() => void), callback?: () => void): this {
    let encoding: BufferEncoding | undefined;
    if (typeof chunk === 'function') {
      callback = chunk as () => void;
      chunk = undefined;
    } else if (typeof encodingOrCallback === 'function') {
      callback = encodingOrCallback;
    } else {
      encoding = encodingOrCallback;
    }
    this.seen(chunk, encoding);
    const held = this.endGate?.();
    if (!held) return this.endNow(chunk, encoding, callback);
    void held.then(() => this.endNow(chunk, encoding, callback));
    return this;
  }

  private endNow(chunk: unknown, encoding: BufferEncoding | undefined, callback: (() => void) | undefined): this {
    if (chunk === undefined || chunk === null) return super.end(callback);
    return encoding === undefined ? super.end(chunk, callback) : super.end(chunk, encoding, callback);
  }

  private seen(chunk: unknown, encoding: BufferEncoding | undefined): void {
    if (!this.observers || chunk === undefined || chunk === null) return;
    const buffer = bufferOf(chunk, encoding);
    for (const observer of this.observers) observer.chunk?.(buffer);
  }
}

function bufferOf(chunk: unknown, encoding: BufferEncoding | undefined): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), encoding ?? 'utf8');
}
