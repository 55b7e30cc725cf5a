import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, llmsTxt, version, type App } from './app.js';
import type { Config } from './config/schema.js';
import { GatewayError } from './core/errors.js';
import { newRequestId } from './core/request-id.js';
import type { Gateway, RequestContext } from './core/types.js';
import { adminRoutes } from './faces/admin/routes.js';
import { consoleAssets, consoleRoutes, CONSOLE_PATH } from './faces/console/routes.js';
import { anthropicRoutes } from './faces/anthropic/handler.js';
import { aisdkGatewayRoutes } from './faces/aisdk-gateway/handler.js';
import { attachPrincipal, createMcpHttpHandler, mcpSurface } from './faces/mcp/index.js';
import { openaiRoutes, renderOpenAIFailure } from './faces/openai/handler.js';
import { responsesRoutes } from './faces/responses/handler.js';
import { reportRoutes } from './faces/report/routes.js';
import { applyReportingHeaders } from './http/reporting-headers.js';
import { readCacheHeaders } from './http/cache-headers.js';
import { bodyAbandoned } from './http/body.js';
import { InFlightRequests, type DrainSummary } from './http/drain.js';
import { sendJson, sendText } from './http/respond.js';
import { IdempotencyCache } from './http/idempotency.js';
import { createRequestGuard, defaultBodyKind } from './http/request-guard.js';
import type { Sleep } from './core/router.js';
import type { PolicyState } from './policy/state/types.js';
import { routeTable, type Route } from './http/route.js';
import { createLogger, type Logger } from './logger.js';
import { clusterMetricsText } from './telemetry/cluster-metrics.js';
import { MetricsAccess } from './telemetry/metrics-access.js';
import { startTracing } from './telemetry/tracing.js';
import type { LedgerWriter } from './store/types.js';
import { authConfigured, createAuthenticator } from './policy/auth/authenticate.js';
import { assertSafeBind, isLoopbackHost } from './policy/auth/bind.js';
import { principalContext } from './policy/auth/principal-context.js';
import type { Principal } from './policy/types.js';

export interface StartServerOptions {
  config: Config;
  dataDir: string;
  /** Overrides config.server.port; 0 picks a free port. */
  port?: number;
  host?: string;
  logger?: Logger;
  /** The clock budgets, rate limits, breakers and ledger rows follow (tests move it). */
  clock?: () => Date;
  /** The router's backoff waits (tests record them instead of waiting). */
  sleep?: Sleep;
  /** Policy state to share instead of the one config names; the caller closes it. */
  state?: PolicyState;
  /** Overrides config.logLevel (tests use 'silent'). */
  logLevel?: Config['logLevel'];
  /** Where the admin key is read from (`config.auth.adminKeyEnv`); default `process.env`. */
  env?: Record<string, string | undefined>;
}

export interface RunningServer {
  url: string;
  gateway: Gateway;
  app: App;
  /** The faces' routes (`/health`, `/llms.txt` and `/mcp` are served beside them), for tests that cover every route. */
  routes: readonly Route[];
  /** Whether requests must present a credential. */
  authRequired(): Promise<boolean>;
  /** Stops at once: open requests are cut, then the stores close. */
  close(): Promise<void>;
  /**
   * Stops gracefully: no new connections, `/health` answers 503 `draining`, requests in flight
   * finish (those still open after `deadlineMs`, or at `cutDrain()`, end as cancelled), their
   * rows are committed and the stores close.
   */
  drain(deadlineMs: number): Promise<DrainSummary>;
  /** Ends a drain in progress now, as at its deadline. */
  cutDrain(): void;
}

/** The HTTP server: OpenAI-compatible API, /mcp (Streamable HTTP), /llms.txt and /health. */
/**
 * Holds the end of every response until the ledger rows recorded so far are committed, so an
 * answer the client saw complete is never missing from the ledger after a crash. Rows are
 * committed in batches once per event-loop turn, so this waits at most one turn.
 */
function finishAfterLedger(res: ServerResponse, ledger: LedgerWriter): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  (res as { end: unknown }).end = (...args: unknown[]) => {
    const durable = ledger.whenDurable();
    if (!durable) return end(...args);
    void durable.then(() => end(...args));
    return res;
  };
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(options.logLevel ?? options.config.logLevel);
  // Requests in flight: while there are several, ledger commits are batched across a few ms.
  let inFlight = 0;
  const app = await createApp({
    config: options.config,
    dataDir: options.dataDir,
    logger,
    busy: () => inFlight > 1,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.state ? { state: options.state } : {}),
  });
  const { config, gateway } = app;
  const host = options.host ?? config.server.host;
  const authOptions = { keys: app.store.keys, config, env: options.env ?? process.env };
  try {
    assertSafeBind(host, await authConfigured(authOptions), config.auth.adminKeyEnv);
  } catch (error) {
    await app.close();
    throw error;
  }
  // jose is loaded only when issuers are configured: most gateways never verify a JWT.
  const jwt = config.auth.issuers.length ? (await import('./policy/auth/jwt.js')).createJwtVerifier(config.auth.issuers) : undefined;
  const auth = createAuthenticator({
    ...authOptions,
    ...(jwt ? { jwt } : {}),
    failClosed: !isLoopbackHost(host),
  });
  // Loaded only when the OTEL_* variables ask for traces.
  const tracing = await startTracing(options.env ?? process.env, app.hooks, version);
  const metricsAccess = new MetricsAccess(auth, config.telemetry.metricsTokenEnv, options.env ?? process.env);
  const routes = routeTable([
    ...openaiRoutes(gateway, { maxBodyBytes: config.server.maxBodyBytes }),
    ...responsesRoutes(gateway, {
      maxBodyBytes: config.server.maxBodyBytes,
      store: app.store.responses,
      retentionDays: config.responses.retentionDays,
      ...(options.clock ? { clock: options.clock } : {}),
    }),
    ...anthropicRoutes(gateway, { maxBodyBytes: config.server.maxBodyBytes }),
    ...reportRoutes(gateway),
    ...aisdkGatewayRoutes(gateway, { maxBodyBytes: config.server.maxBodyBytes, fileFetch: config.server.fileFetch }),
    ...adminRoutes({ keys: app.store.keys, events: app.events }),
    ...consoleRoutes(gateway),
  ]);
  const consolePages = consoleAssets();
  const mcp = createMcpHttpHandler(gateway, {
    llmsTxt,
    version,
    surface: mcpSurface(config),
    maxBodyBytes: config.server.maxBodyBytes,
    maxSessions: config.server.mcp.maxSessions,
    maxSessionsPerKey: config.server.mcp.maxSessionsPerKey,
  });
  const guard = createRequestGuard({ bindHost: host, allowedHosts: config.server.allowedHosts, allowedOrigins: config.server.allowedOrigins });

  const clock = options.clock;
  const idempotency = new IdempotencyCache(
    app.state.idempotency,
    app.outage,
    { inFlightMs: config.limits.holdTtlMs },
    clock ? () => clock().getTime() : Date.now,
  );
  // A request (headers and body) must arrive within requestTimeoutMs, or Node answers 408 and
  // closes: a client trickling bytes (slowloris) cannot hold a connection for ever. Node checks
  // open connections every connectionsCheckingInterval. Answers, streams included, are not bound.
  const requestTimeout = config.server.requestTimeoutMs;
  const inFlightRequests = new InFlightRequests();
  let draining = false;
  const server = createServer(
    {
      requestTimeout,
      headersTimeout: Math.min(30_000, requestTimeout),
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(requestTimeout / 4))),
      keepAliveTimeout: 65_000,
    },
    (req, res) => {
      inFlight += 1;
      res.once('close', () => {
        inFlight -= 1;
      });
      if (draining) closeAfterAnswer(res);
      const handled = dispatch(req, res);
      // A standing GET /mcp stream has no end of its own: a drain does not wait for it.
      if (!(req.method === 'GET' && (req.url === '/mcp' || req.url?.startsWith('/mcp?')))) inFlightRequests.track(res, handled);
    },
  );

  /** While draining, no connection is kept alive: each closes once its answer is sent. */
  function closeAfterAnswer(res: ServerResponse): void {
    if (!res.headersSent) res.setHeader('connection', 'close');
    res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const method = req.method ?? 'GET';
    const incomingId = req.headers['x-request-id'];
    const context: RequestContext = { face: 'openai', requestId: typeof incomingId === 'string' && incomingId.length <= 128 ? incomingId : newRequestId() };
    const traceparent = req.headers.traceparent;
    if (typeof traceparent === 'string' && traceparent.length <= 128) context.traceparent = traceparent;
    let route: Route | undefined;
    // A body abandoned part-way (a 413 once the limit is passed) leaves its unread rest in front
    // of the next request on the connection, which would then never be read (a hang, then a
    // 408): close the connection after the answer. (A body never read at all, Node discards.)
    const socket = req.socket;
    res.once('finish', () => {
      if (bodyAbandoned(req) && !req.complete && !socket.destroyed) socket.end();
    });
    try {
      // A preflight is answered in the shape of the route it asks for.
      const preflightOf = req.headers['access-control-request-method'];
      route = routes.find(method === 'OPTIONS' && typeof preflightOf === 'string' ? preflightOf : method, path);
      if (route?.face) context.face = route.face;
      const body = path === '/mcp' ? defaultBodyKind(method) : route && (route.body ?? defaultBodyKind(method));
      if (guard.admit(req, res, body)) return;
    } catch (error) {
      return path === '/mcp' ? renderMcpFailure(res, error) : (route?.renderError ?? renderOpenAIFailure)(res, error, context);
    }
    try {
      if (path === '/health' && method === 'GET') return sendJson(res, draining ? 503 : 200, { status: draining ? 'draining' : 'ok', service: 'tollgate', version, store: app.store.health() });
      if (draining) {
        const refusal = new GatewayError('shutting_down', 'the gateway is shutting down: it finishes the requests it has and takes no new ones; send this again shortly');
        if (path === '/mcp') return renderMcpFailure(res, refusal);
        throw refusal;
      }
      if (path === '/llms.txt' && method === 'GET') return sendText(res, 200, llmsTxt);
      if (path === '/metrics' && method === 'GET' && app.metrics) {
        await metricsAccess.check(req.headers, url);
        return sendText(res, 200, await clusterMetricsText(app.metrics), app.metrics.contentType);
      }
      // The console's pages hold no data, so they load without a credential; its API calls carry one.
      if (path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`)) return consolePages.handle(req, res, path);
      if (path === '/mcp') {
        let principal: Principal;
        try {
          principal = await auth.authenticate(req.headers, url);
        } catch (error) {
          return renderMcpFailure(res, error);
        }
        attachPrincipal(req, principal);
        return await mcp.handle(req, res);
      }
      // Routes decode their path segments; a malformed escape (`%E0`) is the client's error, not a 500.
      if (!isWellFormedPath(path)) throw new GatewayError('invalid_request', 'the request path is not valid percent-encoded UTF-8');
      Object.assign(context, principalContext(await auth.authenticate(req.headers, url)));
      applyReportingHeaders(context, req.headers);
      const cache = readCacheHeaders(req.headers);
      if (cache) context.cache = cache;
      if (!route) {
        throw routes.hasPath(path)
          ? new GatewayError('invalid_request', `${method} is not supported on ${path}`)
          : new GatewayError('not_found', `no route ${method} ${path}; see /llms.txt for the endpoints`);
      }
      const replayKey = method === 'POST' ? IdempotencyCache.keyOf(req.headers['idempotency-key'], context.keyId ?? 'anonymous', path) : null;
      if (replayKey) {
        if (await idempotency.replay(replayKey, res)) return;
        idempotency.record(replayKey, res);
      }
      finishAfterLedger(res, app.store.ledger);
      const abort = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      await route.handle(req, res, { ...context, signal: abort.signal });
    } catch (error) {
      if (!(error instanceof GatewayError) || error.status >= 500) {
        logger.error({ err: error instanceof GatewayError ? { kind: error.kind, message: error.message } : error, path, requestId: context.requestId }, 'request failed');
      }
      if (error instanceof GatewayError && error.kind === 'client_closed') return void res.destroy();
      // Say so up front too, so a keep-alive client does not send its next request into the close.
      if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
      (route?.renderError ?? renderOpenAIFailure)(res, error, context);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.server.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const listening = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${listening}:${address.port}`;
  const close = async () => {
    await mcp.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await tracing?.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'the last spans could not be sent'));
    await app.close();
  };
  return {
    url,
    gateway,
    app,
    routes: routes.routes,
    authRequired: () => auth.authRequired(),
    close,
    drain: async (deadlineMs) => {
      // The port stays open so that /health says `draining` and new requests get a 503 to retry
      // elsewhere, rather than a refused connection.
      draining = true;
      server.closeIdleConnections();
      for (const res of inFlightRequests.responses()) closeAfterAnswer(res);
      const summary = await inFlightRequests.drain(deadlineMs);
      await close();
      return summary;
    },
    cutDrain: () => inFlightRequests.cut(),
  };
}

function isWellFormedPath(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** Refusals on `/mcp` (auth, host, origin, content type) as JSON-RPC errors (what MCP clients parse), with the HTTP status of the kind. */
function renderMcpFailure(res: ServerResponse, error: unknown): void {
  const failure = error instanceof GatewayError ? error : new GatewayError('internal', 'The gateway failed to handle the request. Try again later.');
  const headers: Record<string, string> = failure.kind === 'unauthorized' ? { 'www-authenticate': 'Bearer' } : {};
  sendJson(res, failure.status, { jsonrpc: '2.0', error: { code: -32000, message: failure.message }, id: null }, headers);
}
