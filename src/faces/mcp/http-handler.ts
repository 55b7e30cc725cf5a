/**
 * MCP over Streamable HTTP, mounted by the server at `/mcp` (POST, GET, DELETE). Each client
 * session gets its own transport and `McpServer`, kept in a bounded map: at most `maxSessions`,
 * at most `maxSessionsPerKey` per caller, and a session with no open request or stream closes
 * after `sessionIdleMs`. A session belongs to the caller that opened it: to anyone else its id is
 * unknown (404), so no other key can use it, read its stream or delete it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../core/types.js';
import { callerId } from '../../policy/auth/caller-id.js';
import { principalFrom } from './auth-info.js';
import { readJsonBody } from './read-json-body.js';
import { createMcpServer, type McpServerOptions } from './server.js';

export interface McpHttpHandlerOptions extends McpServerOptions {
  /**
   * Open sessions at most. When full, an idle session of the caller holding the most sessions
   * makes room (its least recently active one), so one caller's flood evicts its own first.
   */
  maxSessions?: number;
  /**
   * Open sessions per caller at most; a caller opening one more loses its own least recently
   * active session. The admin key and anonymous use (no auth configured) are bound by
   * `maxSessions` only.
   */
  maxSessionsPerKey?: number;
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
  /** The caller that opened it (`callerId`). */
  owner: string;
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  /** Requests and streams of this session still open. */
  open: number;
  lastActive: number;
}

const DEFAULT_MAX_SESSIONS = 1_000;
const DEFAULT_MAX_SESSIONS_PER_KEY = 16;
/** Callers bound by the total only: they are trusted with the whole gateway anyway. */
const UNCAPPED_CALLERS = new Set(['admin', 'anonymous']);
const DEFAULT_IDLE_MS = 30 * 60_000;
const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

// JSON-RPC codes the SDK's transport uses for the same conditions.
const SERVER_ERROR = -32000;
const SESSION_NOT_FOUND = -32001;
const INTERNAL_ERROR = -32603;

export function createMcpHttpHandler(gateway: Gateway, options: McpHttpHandlerOptions): McpHttpHandler {
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const maxPerKey = options.maxSessionsPerKey ?? DEFAULT_MAX_SESSIONS_PER_KEY;
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

  const sessionsPerOwner = (): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const session of sessions.values()) counts.set(session.owner, (counts.get(session.owner) ?? 0) + 1);
    return counts;
  };

  /**
   * Room for one more session of `owner`. A caller at its own cap loses its least recently
   * active session (an idle one if it has any). When the whole map is full, the idle session to
   * go is taken from the caller holding the most sessions, least recently active first, so a
   * flood from one caller never reaches another's sessions while the flooder has any left.
   */
  const makeRoom = async (owner: string): Promise<boolean> => {
    const counts = sessionsPerOwner();
    if (!UNCAPPED_CALLERS.has(owner) && (counts.get(owner) ?? 0) >= maxPerKey) {
      const own = [...sessions.values()].filter((session) => session.owner === owner);
      const victim = leastRecentlyActive(own.filter((session) => session.open === 0)) ?? leastRecentlyActive(own);
      if (victim) await closeSession(victim);
    }
    if (sessions.size < maxSessions) return true;
    let victim: Session | undefined;
    for (const session of sessions.values()) {
      if (session.open !== 0) continue;
      const held = counts.get(session.owner) ?? 0;
      const victimHeld = victim ? (counts.get(victim.owner) ?? 0) : -1;
      if (held > victimHeld || (held === victimHeld && session.lastActive < victim!.lastActive)) victim = session;
    }
    if (!victim) return false;
    await closeSession(victim);
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

  const startSession = async (req: IncomingMessage, res: ServerResponse, body: unknown, owner: string): Promise<void> => {
    if (!(await makeRoom(owner))) {
      sendJsonRpcError(res, 503, SERVER_ERROR, 'Too many open MCP sessions; try again later.');
      return;
    }
    const server = createMcpServer(gateway, options);
    const session: Session = {
      owner,
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

        const owner = callerId(principalFrom((req as IncomingMessage & { auth?: AuthInfo }).auth));
        const sessionId = req.headers['mcp-session-id'];
        if (typeof sessionId === 'string') {
          const found = sessions.get(sessionId);
          // Another caller's session is answered exactly as an unknown one: its id tells them nothing.
          const session = found?.owner === owner ? found : undefined;
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
        await startSession(req, res, body, owner);
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

function leastRecentlyActive(candidates: Session[]): Session | undefined {
  let oldest: Session | undefined;
  for (const session of candidates) if (!oldest || session.lastActive < oldest.lastActive) oldest = session;
  return oldest;
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
