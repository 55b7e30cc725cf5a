/**
 * One MCP session's Streamable HTTP transport, written straight on Node's request and response.
 * The SDK's Node transport converts every request into a web-standard Request and every answer
 * back from a Response stream, which cost most of the CPU of a tool call; this one writes the
 * answer itself. Validation of the HTTP request (headers, body, session id) happens before it is
 * handed here (see http-handler.ts).
 *
 * A POST's requests are answered on that POST: as one JSON body when nothing else is sent for
 * them, or as an SSE stream from the moment the server sends a message about them first (progress,
 * logging), ending once every request of the POST has its response. Messages about no request
 * (list changes, resource updates) go to the session's standing GET stream: written here when it
 * is open here, else handed to the relay, which finds the instance where it is open.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, JSONRPCRequest, JSONRPCResponse, MessageExtraInfo, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { StreamRelay } from './stream-relay.js';

/** Comment frames on a standing stream, so proxies do not take it for a dead connection. */
const KEEP_ALIVE_MS = 15_000;

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
};

/** The requests of one POST and where their answers go. */
class Exchange {
  readonly pending = new Set<RequestId>();
  readonly answers: JSONRPCMessage[] = [];
  streaming = false;

  constructor(
    /** Null for a request replayed inside the server, whose answer nobody reads. */
    readonly res: ServerResponse | null,
    private readonly sessionId: string,
  ) {}

  get done(): boolean {
    return this.res === null || this.res.writableEnded || this.res.destroyed;
  }

  /** A message about one of the requests before its answer: the POST becomes an SSE stream. */
  event(message: JSONRPCMessage): void {
    if (this.done) return;
    if (!this.streaming) {
      this.streaming = true;
      this.res!.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': this.sessionId });
    }
    this.res!.write(sseEvent(message));
  }

  /** The session closed before the answers: a POST still waiting is told its session is gone. */
  abandon(): void {
    if (this.done) return;
    if (this.streaming) {
      this.res!.end();
      return;
    }
    const body = JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
    this.res!.writeHead(404, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    this.res!.end(body);
  }

  answer(id: RequestId, message: JSONRPCMessage): void {
    this.pending.delete(id);
    if (this.done) return;
    if (this.streaming) {
      this.res!.write(sseEvent(message));
      if (this.pending.size === 0) this.res!.end();
      return;
    }
    this.answers.push(message);
    if (this.pending.size !== 0) return;
    const body = JSON.stringify(this.answers.length === 1 ? this.answers[0] : this.answers);
    this.res!.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'mcp-session-id': this.sessionId });
    this.res!.end(body);
  }
}

export class SessionTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  private readonly exchanges = new Map<RequestId, Exchange>();
  private standing: { res: ServerResponse; keepAlive?: NodeJS.Timeout; stopRelay?: () => void } | undefined;
  private closed = false;

  constructor(
    readonly sessionId: string,
    private readonly relay?: StreamRelay,
  ) {}

  async start(): Promise<void> {}

  /** Whether a standing GET stream is open (a session has one at most). */
  get hasStandingStream(): boolean {
    return this.standing !== undefined;
  }

  /** Delivers a POST's messages; its answer is written once the server has answered them. */
  post(req: IncomingMessage, res: ServerResponse, messages: JSONRPCMessage[], authInfo: AuthInfo | undefined): void {
    const requestInfo = { headers: req.headers };
    const requests = messages.filter(isRequest);
    if (requests.length === 0) {
      for (const message of messages) this.onmessage?.(message, { authInfo, requestInfo });
      res.writeHead(202, { 'mcp-session-id': this.sessionId });
      res.end();
      return;
    }
    const exchange = new Exchange(res, this.sessionId);
    for (const request of requests) {
      exchange.pending.add(request.id);
      this.exchanges.set(request.id, exchange);
    }
    // A client that goes away takes its answers with it; the server's late replies are dropped.
    res.once('close', () => {
      for (const id of exchange.pending) if (this.exchanges.get(id) === exchange) this.exchanges.delete(id);
    });
    for (const message of messages) this.onmessage?.(message, { authInfo, requestInfo });
  }

  /** Hands the server a message whose answer nobody reads: a session revived on this process replays its handshake. */
  replay(message: JSONRPCMessage): void {
    if (isRequest(message)) {
      const exchange = new Exchange(null, this.sessionId);
      exchange.pending.add(message.id);
      this.exchanges.set(message.id, exchange);
    }
    this.onmessage?.(message, {});
  }

  /**
   * Opens the standing stream; false when one is open already. Its headers go out once the relay
   * listens for the session, so a client that sees the stream open misses nothing sent after.
   */
  async openStandingStream(res: ServerResponse): Promise<boolean> {
    if (this.standing) return false;
    const standing: NonNullable<SessionTransport['standing']> = { res };
    this.standing = standing;
    const ended = () => {
      clearInterval(standing.keepAlive);
      standing.stopRelay?.();
      if (this.standing === standing) this.standing = undefined;
    };
    res.once('close', ended);
    try {
      if (this.relay) standing.stopRelay = await this.relay.receive(this.sessionId, (message) => this.writeStanding(message));
    } catch (error) {
      res.off('close', ended);
      ended();
      throw error;
    }
    if (res.destroyed) return true;
    res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': this.sessionId });
    res.flushHeaders();
    standing.keepAlive = setInterval(() => res.write(': keepalive\n\n'), KEEP_ALIVE_MS);
    standing.keepAlive.unref();
    return true;
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed) return;
    if (isResponse(message)) {
      const id = message.id;
      const exchange = id === undefined ? undefined : this.exchanges.get(id);
      if (id === undefined || !exchange) return;
      this.exchanges.delete(id);
      exchange.answer(id, message);
      return;
    }
    const related = options?.relatedRequestId;
    if (related !== undefined) {
      this.exchanges.get(related)?.event(message);
      return;
    }
    if (this.standing) this.writeStanding(message);
    else this.relay?.forward(this.sessionId, message);
  }

  private writeStanding(message: JSONRPCMessage): void {
    const res = this.standing?.res;
    if (res?.headersSent && !res.writableEnded) res.write(sseEvent(message));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const exchange of new Set(this.exchanges.values())) exchange.abandon();
    this.exchanges.clear();
    if (this.standing) {
      clearInterval(this.standing.keepAlive);
      this.standing.stopRelay?.();
      this.standing.res.end();
      this.standing = undefined;
    }
    this.onclose?.();
  }
}

// The messages are valid JSON-RPC already (checked on the way in, or the server's own), so their
// kind is told by their members alone, without parsing them again against the SDK's schemas.
function isRequest(message: JSONRPCMessage): message is JSONRPCRequest {
  return 'method' in message && 'id' in message;
}

function isResponse(message: JSONRPCMessage): message is JSONRPCResponse {
  return 'result' in message || 'error' in message;
}

function sseEvent(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}
