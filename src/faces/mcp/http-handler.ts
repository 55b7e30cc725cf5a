/**
 * MCP over Streamable HTTP, mounted by the server at `/mcp` (POST, GET, DELETE). A session
 * belongs to the caller that opened it: to anyone else its id is unknown (404), so no other key
 * can use it, read its stream or delete it. Who owns a session and how it was initialised is kept
 * in session records (this process's memory, or Redis when several instances share one), so any
 * instance can serve any request of a session: one that has not seen it yet revives it by
 * replaying its handshake. Each instance keeps the sessions it serves live in a bounded map: at
 * most `maxSessions`, at most `maxSessionsPerKey` per caller, and one with no open request or
 * stream for `sessionIdleMs` is dropped here (its record expires after that long unused). A
 * session deleted or evicted on one instance ends on all of them at once (session-ends.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  isInitializeRequest,
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../core/types.js';
import { callerId } from '../../policy/auth/caller-id.js';
import { RedisConnection } from '../../policy/state/redis/connection.js';
import { StateUnavailableError } from '../../policy/state/types.js';
import { principalFrom } from './auth-info.js';
import { readJsonBody } from './read-json-body.js';
import { createMcpServer, type McpServerOptions } from './server.js';
import { MemorySessionRecords, RedisSessionRecords, type SessionRecord, type SessionRecords } from './session-records.js';
import { sessionEnds } from './session-ends.js';
import { SessionTransport } from './session-transport.js';
import { streamRelay } from './stream-relay.js';

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
  /** The clock idle time is measured by (tests move it). */
  clock?: () => number;
  /** Runs the idle sweep every `intervalMs`; returns what stops it (tests run the sweep themselves). */
  scheduleSweep?: (sweep: () => Promise<void>, intervalMs: number) => () => void;
  /** Largest JSON-RPC body read by this handler (when the caller did not parse it already). */
  maxBodyBytes?: number;
  /** Session records in Redis, shared with the other instances on the same URL and key prefix. */
  redis?: { url: string; keyPrefix: string };
}

export interface McpHttpHandler {
  handle(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void>;
  /** Closes every session served here; later requests get 503. */
  close(): Promise<void>;
  /** Sessions live on this instance, for metrics and tests. */
  readonly sessionCount: number;
}

interface Session {
  id: string;
  /** The caller that opened it (`callerId`). */
  owner: string;
  transport: SessionTransport;
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
/** JSON-RPC messages in one POST at most (the SDK's own bound). */
const MAX_BATCH = 100;

// JSON-RPC codes the SDK's transport uses for the same conditions.
const SERVER_ERROR = -32000;
const SESSION_NOT_FOUND = -32001;
const INVALID_REQUEST = -32600;
const PARSE_ERROR = -32700;
const INTERNAL_ERROR = -32603;

/** A refusal of the HTTP request, answered as a JSON-RPC error with its status. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function createMcpHttpHandler(gateway: Gateway, options: McpHttpHandlerOptions): McpHttpHandler {
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const maxPerKey = options.maxSessionsPerKey ?? DEFAULT_MAX_SESSIONS_PER_KEY;
  const idleMs = options.sessionIdleMs ?? DEFAULT_IDLE_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const now = options.clock ?? Date.now;
  const records: SessionRecords = options.redis
    ? new RedisSessionRecords(new RedisConnection(options.redis), idleMs)
    : new MemorySessionRecords(idleMs, now);
  const sessions = new Map<string, Session>();
  const relay = streamRelay(options.bus);
  let closed = false;

  /** Drops the session here; `forget` also ends it everywhere (its record goes). */
  const closeSession = async (session: Session, forget: boolean): Promise<void> => {
    if (sessions.get(session.id) === session) sessions.delete(session.id);
    if (forget) await endEverywhere(session.id).catch(() => undefined);
    await session.server.close().catch(() => undefined);
  };
  const ends = sessionEnds(options.bus, (id) => {
    const session = sessions.get(id);
    if (session) void closeSession(session, false);
  });
  const endEverywhere = async (id: string): Promise<void> => {
    await records.delete(id);
    await ends.announce(id);
  };

  // A session with a stream or request open here is in use: its record is kept alive meanwhile.
  // One idle here may be in use on another instance (its standing stream, say, while this one
  // watches its subscription): it stays while its record lives, and goes with it.
  const sweep = async (): Promise<void> => {
    const cutoff = now() - idleMs;
    const looks: Array<Promise<unknown>> = [];
    for (const session of sessions.values()) {
      if (session.open !== 0) looks.push(records.use(session.id).catch(() => undefined));
      else if (session.lastActive < cutoff) looks.push(closeIfGone(session));
    }
    await Promise.all(looks);
  };
  const closeIfGone = async (session: Session): Promise<void> => {
    const alive = await records.alive(session.id).catch(() => false);
    if (alive) session.lastActive = now();
    else await closeSession(session, false);
  };
  const stopSweeping = (options.scheduleSweep ?? sweepOnTimer)(sweep, Math.max(10, Math.min(idleMs / 2, 30_000)));

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
      if (victim) await closeSession(victim, true);
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
    await closeSession(victim, true);
    return sessions.size < maxSessions;
  };

  const track = (session: Session, res: ServerResponse): void => {
    session.open++;
    session.lastActive = now();
    res.once('close', () => {
      session.open--;
      session.lastActive = now();
    });
  };

  /** A live session for `id`: a new one, or one this instance revives from its record. */
  const open = async (id: string, owner: string): Promise<Session> => {
    if (!(await makeRoom(owner))) throw new Refusal(503, SERVER_ERROR, 'Too many open MCP sessions; try again later.');
    await ends.listen();
    const transport = new SessionTransport(id, relay);
    const session: Session = { id, owner, transport, server: createMcpServer(gateway, options), open: 0, lastActive: now() };
    transport.onclose = () => {
      if (sessions.get(id) === session) sessions.delete(id);
    };
    await session.server.connect(transport);
    sessions.set(id, session);
    return session;
  };

  const revive = async (id: string, record: SessionRecord): Promise<Session> => {
    const session = await open(id, record.owner);
    session.transport.replay({ jsonrpc: '2.0', id: `revive-${id}`, method: 'initialize', params: record.initialize });
    session.transport.replay({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return session;
  };

  const authOf = (req: IncomingMessage): AuthInfo | undefined => (req as IncomingMessage & { auth?: AuthInfo }).auth;

  const readMessages = async (req: IncomingMessage, parsedBody: unknown): Promise<JSONRPCMessage[]> => {
    let body = parsedBody;
    // Read here rather than by the SDK, so every message meets the same limits:
    // server.maxBodyBytes, UTF-8, nesting depth.
    if (body === undefined) {
      const read = await readJsonBody(req, maxBodyBytes);
      if (!read.ok) throw new Refusal(read.status, read.code, read.message, closeIfUnread(req));
      body = read.value;
    }
    const raw = Array.isArray(body) ? body : [body];
    if (raw.length > MAX_BATCH) throw new Refusal(400, INVALID_REQUEST, `Invalid Request: a batch holds at most ${MAX_BATCH} messages`);
    const messages: JSONRPCMessage[] = [];
    for (const item of raw) {
      const parsed = JSONRPCMessageSchema.safeParse(item);
      if (!parsed.success) throw new Refusal(400, PARSE_ERROR, 'Parse error: Invalid JSON-RPC message');
      messages.push(parsed.data);
    }
    return messages;
  };

  const handleSession = async (req: IncomingMessage, res: ServerResponse, parsedBody: unknown, sessionId: string, owner: string): Promise<void> => {
    const record = await records.use(sessionId);
    // Another caller's session is answered exactly as an unknown one: its id tells them nothing.
    if (!record || record.owner !== owner) {
      const stale = sessions.get(sessionId);
      if (!record && stale) void closeSession(stale, false);
      throw new Refusal(404, SESSION_NOT_FOUND, 'Session not found');
    }
    checkProtocolVersion(req);
    if (req.method === 'DELETE') {
      const session = sessions.get(sessionId);
      if (session) await closeSession(session, true);
      else await endEverywhere(sessionId);
      res.writeHead(200).end();
      return;
    }
    const session = sessions.get(sessionId) ?? (await revive(sessionId, record));
    if (req.method === 'GET') {
      if (!accepts(req, 'text/event-stream')) throw new Refusal(406, SERVER_ERROR, 'Not Acceptable: Client must accept text/event-stream');
      if (session.transport.hasStandingStream) throw new Refusal(409, SERVER_ERROR, 'Conflict: Only one SSE stream is allowed per session');
      track(session, res);
      try {
        await session.transport.openStandingStream(res);
      } catch (error) {
        // The stream opens once this instance hears what other instances send the session: it cannot without the bus.
        if (error instanceof StateUnavailableError) throw new Refusal(503, SERVER_ERROR, `The session's stream cannot open: the notification bus (${options.bus.description}) cannot be reached; try again shortly.`);
        throw error;
      }
      return;
    }
    checkPostHeaders(req);
    track(session, res);
    const messages = await readMessages(req, parsedBody);
    if (messages.some((message) => 'method' in message && message.method === 'initialize')) throw new Refusal(400, INVALID_REQUEST, 'Invalid Request: Server already initialized');
    session.transport.post(req, res, messages, authOf(req));
  };

  const startSession = async (req: IncomingMessage, res: ServerResponse, parsedBody: unknown, owner: string): Promise<void> => {
    if (req.method !== 'POST') throw new Refusal(400, SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required.');
    checkPostHeaders(req);
    const messages = await readMessages(req, parsedBody);
    const initialize = messages[0];
    if (messages.length !== 1 || !isInitializeRequest(initialize)) {
      throw new Refusal(400, SERVER_ERROR, 'Bad Request: no session; start one with an initialize request.');
    }
    const id = randomUUID();
    const session = await open(id, owner);
    try {
      await records.create(id, { owner, initialize: initialize.params });
    } catch (error) {
      await closeSession(session, false);
      throw error;
    }
    track(session, res);
    session.transport.post(req, res, messages, authOf(req));
  };

  return {
    get sessionCount() {
      return sessions.size;
    },

    async handle(req, res, parsedBody) {
      try {
        if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
          throw new Refusal(405, SERVER_ERROR, 'Method not allowed.', { Allow: 'GET, POST, DELETE' });
        }
        if (closed) throw new Refusal(503, SERVER_ERROR, 'The MCP endpoint is shutting down.');
        const owner = callerId(principalFrom(authOf(req)));
        const sessionId = req.headers['mcp-session-id'];
        if (typeof sessionId === 'string') await handleSession(req, res, parsedBody, sessionId, owner);
        else await startSession(req, res, parsedBody, owner);
      } catch (error) {
        if (res.headersSent) {
          res.end();
          return;
        }
        if (error instanceof Refusal) return sendJsonRpcError(res, error.status, error.code, error.message, error.headers);
        if (error instanceof StateUnavailableError) {
          return sendJsonRpcError(res, 503, SERVER_ERROR, `MCP sessions are unavailable: the session store (${records.description}) cannot be reached; try again shortly.`);
        }
        sendJsonRpcError(res, 500, INTERNAL_ERROR, 'Internal server error');
      }
    },

    async close() {
      closed = true;
      stopSweeping();
      await Promise.all([...sessions.values()].map((session) => closeSession(session, false)));
      sessions.clear();
      await ends.close();
      await records.close();
    },
  };
}

function sweepOnTimer(sweep: () => Promise<void>, intervalMs: number): () => void {
  const timer = setInterval(() => void sweep(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function accepts(req: IncomingMessage, type: string): boolean {
  return req.headers.accept?.includes(type) ?? false;
}

/** A POST must accept both answer forms and carry JSON (as the SDK's transport requires). */
function checkPostHeaders(req: IncomingMessage): void {
  if (!accepts(req, 'application/json') || !accepts(req, 'text/event-stream')) {
    throw new Refusal(406, SERVER_ERROR, 'Not Acceptable: Client must accept both application/json and text/event-stream');
  }
  const type = req.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new Refusal(415, SERVER_ERROR, 'Unsupported Media Type: Content-Type must be application/json');
}

function checkProtocolVersion(req: IncomingMessage): void {
  const version = req.headers['mcp-protocol-version'];
  if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    throw new Refusal(400, SERVER_ERROR, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
  }
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
