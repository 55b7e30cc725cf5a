/**
 * MCP over Streamable HTTP, mounted by the server at `/mcp` (POST, GET, DELETE). Each client
 * session gets its own transport and `McpServer`, kept in a bounded map: at most `maxSessions`,
 * and a session with no open request or stream closes after `sessionIdleMs`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../core/types.js';
import { readJsonBody } from './read-json-body.js';
import { createMcpServer, type McpServerOptions } from './server.js';

export interface McpHttpHandlerOptions extends McpServerOptions {
  /** Open sessions at most; the least recently active idle one makes room for a new one. */
  maxSessions?: number;
  /** A session with nothing open for this long is closed. */
  sessionIdleMs?: number;
  /** Largest JSON-RPC body read by this handler (when the caller did not parse it already). */
  maxBodyBytes?: number;
}

export interface McpHttpHandler {
  handle(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void>;
  /** Closes every session; later requests get 503. */
  close(): Promise<void>;
  /** Open sessions, for metrics and tests. */
  readonly sessionCount: number;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  /** Requests and streams of this session still open. */
  open: number;
  lastActive: number;
}

const DEFAULT_MAX_SESSIONS = 1_000;
const DEFAULT_IDLE_MS = 30 * 60_000;
const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

// JSON-RPC codes the SDK's transport uses for the same conditions.
const SERVER_ERROR = -32000;
const SESSION_NOT_FOUND = -32001;
const INTERNAL_ERROR = -32603;

export function createMcpHttpHandler(gateway: Gateway, options: McpHttpHandlerOptions): McpHttpHandler {
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const idleMs = options.sessionIdleMs ?? DEFAULT_IDLE_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const sessions = new Map<string, Session>();
  let closed = false;

  const closeSession = async (session: Session): Promise<void> => {
    // Closing the server closes its transport, whose onclose removes the map entry.
    await session.server.close().catch(() => undefined);
  };

  const sweep = (): void => {
    const cutoff = Date.now() - idleMs;
    for (const session of sessions.values()) {
      if (session.open === 0 && session.lastActive < cutoff) void closeSession(session);
    }
  };
  const sweeper = setInterval(sweep, Math.max(10, Math.min(idleMs, 60_000)));
  sweeper.unref();

  /** Room for one more session: evicts the least recently active idle one, or says no. */
  const makeRoom = async (): Promise<boolean> => {
    if (sessions.size < maxSessions) return true;
    let oldest: Session | undefined;
    for (const session of sessions.values()) {
      if (session.open === 0 && (!oldest || session.lastActive < oldest.lastActive)) oldest = session;
    }
    if (!oldest) return false;
    await closeSession(oldest);
    return sessions.size < maxSessions;
  };

  const track = (session: Session, res: ServerResponse): void => {
    session.open++;
    session.lastActive = Date.now();
    res.once('close', () => {
      session.open--;
      session.lastActive = Date.now();
    });
  };

  const startSession = async (req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> => {
    if (!(await makeRoom())) {
      sendJsonRpcError(res, 503, SERVER_ERROR, 'Too many open MCP sessions; try again later.');
      return;
    }
    const server = createMcpServer(gateway, options);
    const session: Session = {
      server,
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, session);
        },
      }),
      open: 0,
      lastActive: Date.now(),
    };
    session.transport.onclose = () => {
      const id = session.transport.sessionId;
      if (id !== undefined && sessions.get(id) === session) sessions.delete(id);
    };
    await server.connect(session.transport);
    track(session, res);
    await session.transport.handleRequest(req, res, body);
    // The transport refused the initialize request (bad headers): no session came of it.
    if (session.transport.sessionId === undefined) await server.close().catch(() => undefined);
  };

  return {
    get sessionCount() {
      return sessions.size;
    },

    async handle(req, res, parsedBody) {
      try {
        if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
          sendJsonRpcError(res, 405, SERVER_ERROR, 'Method not allowed.', { Allow: 'GET, POST, DELETE' });
          return;
        }
        if (closed) {
          sendJsonRpcError(res, 503, SERVER_ERROR, 'The MCP endpoint is shutting down.');
          return;
        }

        const sessionId = req.headers['mcp-session-id'];
        if (typeof sessionId === 'string') {
          const session = sessions.get(sessionId);
          if (!session) {
            // The client should start a new session (the spec's answer to an unknown id).
            sendJsonRpcError(res, 404, SESSION_NOT_FOUND, 'Session not found');
            return;
          }
          track(session, res);
          let body = parsedBody;
          // Read here rather than by the SDK, so a session's messages meet the same limits as the
          // first one: server.maxBodyBytes (the SDK's own cap is 4 MiB), UTF-8, nesting depth.
          if (body === undefined && req.method === 'POST') {
            const read = await readJsonBody(req, maxBodyBytes);
            if (!read.ok) {
              sendJsonRpcError(res, read.status, read.code, read.message, closeIfUnread(req));
              return;
            }
            body = read.value;
          }
          await session.transport.handleRequest(req, res, body);
          return;
        }

        if (req.method !== 'POST') {
          sendJsonRpcError(res, 400, SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required.');
          return;
        }
        let body = parsedBody;
        if (body === undefined) {
          const read = await readJsonBody(req, maxBodyBytes);
          if (!read.ok) {
            sendJsonRpcError(res, read.status, read.code, read.message, closeIfUnread(req));
            return;
          }
          body = read.value;
        }
        if (!isInitializeRequest(body)) {
          sendJsonRpcError(res, 400, SERVER_ERROR, 'Bad Request: no session; start one with an initialize request.');
          return;
        }
        await startSession(req, res, body);
      } catch {
        if (!res.headersSent) sendJsonRpcError(res, 500, INTERNAL_ERROR, 'Internal server error');
        else res.end();
      }
    },

    async close() {
      closed = true;
      clearInterval(sweeper);
      await Promise.all([...sessions.values()].map(closeSession));
      sessions.clear();
    },
  };
}

/** A body left part-read (over the limit) ends the connection; the client is told up front. */
function closeIfUnread(req: IncomingMessage): Record<string, string> {
  return req.complete ? {} : { Connection: 'close' };
}

function sendJsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
