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
import { InFlightRequests, refuseWhileDraining, type DrainSummary } from './http/drain.js';
import { sendJson, sendText } from './http/respond.js';
import { IdempotencyCache, replayIdempotent } from './http/idempotency.js';
import { createRequestGuard, defaultBodyKind, guardBrowsers } from './http/request-guard.js';
import { compose, type Endpoint, type Exchange } from './http/chain.js';
import { authenticateCaller } from './http/authenticate.js';
import { holdUntilDurable } from './http/durability.js';
import { logFailures, renderFailures } from './http/failures.js';
import { ObservedResponse } from './http/observed-response.js';
import type { Sleep } from './core/router.js';
import type { PolicyState } from './policy/state/types.js';
import { routeTable, type Route } from './http/route.js';
import { createLogger, type Logger } from './logger.js';
import { clusterMetricsText } from './telemetry/cluster-metrics.js';
import { MetricsAccess } from './telemetry/metrics-access.js';
import { startTracing } from './telemetry/tracing.js';
import { authConfigured, createAuthenticator } from './policy/auth/authenticate.js';
import { assertSafeBind, isLoopbackHost } from './policy/auth/bind.js';
import { mcpProtectedResource, PROTECTED_RESOURCE_METADATA_PATHS } from './policy/auth/protected-resource.js';

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
  /** Requests being answered, standing MCP streams not counted: while there are several, ledger commits are batched. */
  requestsInFlight(): number;
}

/** The HTTP server: OpenAI-compatible API, /mcp (Streamable HTTP), /llms.txt and /health. */
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
  const mcpResource = mcpProtectedResource(config);
  const auth = createAuthenticator({
    ...authOptions,
    ...(jwt ? { jwt } : {}),
    ...(mcpResource ? { mcpResource } : {}),
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
    bus: app.bus,
    budgetSignals: app.budgetSignals,
    maxBodyBytes: config.server.maxBodyBytes,
    maxSessions: config.server.mcp.maxSessions,
    maxSessionsPerKey: config.server.mcp.maxSessionsPerKey,
    ...(config.store.redis ? { redis: { url: config.store.redis, keyPrefix: config.store.redisKeyPrefix } } : {}),
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
  const handleThroughChain = compose([
    renderFailures,
    logFailures(logger),
    guardBrowsers(guard),
    refuseWhileDraining(() => draining),
    authenticateCaller(auth),
    replayIdempotent(idempotency),
    holdUntilDurable(app.store.ledger),
  ]);
  const server = createServer<typeof IncomingMessage, typeof ObservedResponse>(
    {
      requestTimeout,
      headersTimeout: Math.min(30_000, requestTimeout),
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(requestTimeout / 4))),
      keepAliveTimeout: 65_000,
      ServerResponse: ObservedResponse,
    },
    (req, res) => {
      // A standing GET /mcp stream has no end of its own: a drain does not wait for it, and an
      // agent listening on one does not make the gateway busy (its ledger commits would wait).
      const standing = req.method === 'GET' && (req.url === '/mcp' || req.url?.startsWith('/mcp?') === true);
      if (!standing) {
        inFlight += 1;
        res.once('close', () => {
          inFlight -= 1;
        });
      }
      if (draining) closeAfterAnswer(res);
      const handled = dispatch(req, res);
      if (!standing) inFlightRequests.track(res, handled);
    },
  );

  /** While draining, no connection is kept alive: each closes once its answer is sent. */
  function closeAfterAnswer(res: ServerResponse): void {
    if (!res.headersSent) res.setHeader('connection', 'close');
    res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
  }

  const endpoints = {
    health: publicEndpoint(async ({ res }) => sendJson(res, draining ? 503 : 200, { status: draining ? 'draining' : 'ok', service: 'tollgate', version, store: app.store.health() }), {
      whileDraining: true,
    }),
    llmsTxt: publicEndpoint(async ({ res }) => sendText(res, 200, llmsTxt)),
    metrics: publicEndpoint(async ({ req, res, url }) => {
      await metricsAccess.check(req.headers, url);
      sendText(res, 200, await clusterMetricsText(app.metrics!), app.metrics!.contentType);
    }),
    protectedResource: publicEndpoint(async ({ req, res }) => sendJson(res, 200, mcpResource!.metadata(req.headers))),
    // The console's pages hold no data, so they load without a credential; its API calls carry one.
    console: publicEndpoint(async ({ req, res, path }) => consolePages.handle(req, res, path)),
    mcp: (method: string): Endpoint => ({
      access: 'caller',
      body: defaultBodyKind(method),
      durable: true,
      handle: async ({ req, res, principal }) => {
        attachPrincipal(req, principal!);
        await mcp.handle(req, res);
      },
      renderError: ({ req, res }, error) => renderMcpFailure(res, error, mcpResource?.challenge(req.headers)),
    }),
  };

  /** What a request reached; a path no endpoint has is refused only once its caller is known. */
  function endpointOf(method: string, path: string, route: Route | undefined): Endpoint {
    if (path === '/health' && method === 'GET') return endpoints.health;
    if (path === '/llms.txt' && method === 'GET') return endpoints.llmsTxt;
    if (mcpResource && method === 'GET' && PROTECTED_RESOURCE_METADATA_PATHS.includes(path)) return endpoints.protectedResource;
    if (path === '/metrics' && method === 'GET' && app.metrics) return endpoints.metrics;
    if (path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`)) return endpoints.console;
    if (path === '/mcp') return endpoints.mcp(method);
    const body = route && (route.body ?? defaultBodyKind(method));
    const renderError = ({ res, context }: Exchange, error: unknown) => (route?.renderError ?? renderOpenAIFailure)(res, error, context);
    // Routes decode their path segments; a malformed escape (`%E0`) is the client's error, not a 500.
    if (!isWellFormedPath(path)) return refusal(new GatewayError('invalid_request', 'the request path is not valid percent-encoded UTF-8'), 'public', body, renderError);
    if (!route) {
      const unknown = routes.hasPath(path)
        ? new GatewayError('invalid_request', `${method} is not supported on ${path}`)
        : new GatewayError('not_found', `no route ${method} ${path}; see /llms.txt for the endpoints`);
      return refusal(unknown, 'caller', body, renderError);
    }
    return {
      access: 'caller',
      body,
      idempotent: true,
      durable: true,
      handle: async ({ req, res, context }) => {
        applyReportingHeaders(context, req.headers);
        const cache = readCacheHeaders(req.headers);
        if (cache) context.cache = cache;
        const abort = new AbortController();
        res.once('close', () => {
          if (!res.writableFinished) abort.abort();
        });
        await route.handle(req, res, { ...context, signal: abort.signal });
      },
      renderError,
    };
  }

  async function dispatch(req: IncomingMessage, res: ObservedResponse): Promise<void> {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const method = req.method ?? 'GET';
    const incomingId = req.headers['x-request-id'];
    const context: RequestContext = { face: 'openai', requestId: typeof incomingId === 'string' && incomingId.length <= 128 ? incomingId : newRequestId() };
    const traceparent = req.headers.traceparent;
    if (typeof traceparent === 'string' && traceparent.length <= 128) context.traceparent = traceparent;
    // A body abandoned part-way (a 413 once the limit is passed) leaves its unread rest in front
    // of the next request on the connection, which would then never be read (a hang, then a
    // 408): close the connection after the answer. (A body never read at all, Node discards.)
    const socket = req.socket;
    res.once('finish', () => {
      if (bodyAbandoned(req) && !req.complete && !socket.destroyed) socket.end();
    });
    // A preflight is answered in the shape of the route it asks for.
    const preflightOf = req.headers['access-control-request-method'];
    const route = routes.find(method === 'OPTIONS' && typeof preflightOf === 'string' ? preflightOf : method, path);
    if (route?.face) context.face = route.face;
    await handleThroughChain({ req, res, method, url, path, context, endpoint: endpointOf(method, path, route) });
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
    requestsInFlight: () => inFlight,
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

function publicEndpoint(handle: Endpoint['handle'], options: Pick<Endpoint, 'whileDraining'> = {}): Endpoint {
  return { access: 'public', body: undefined, handle, renderError: ({ res, context }, error) => renderOpenAIFailure(res, error, context), ...options };
}

/** An endpoint that only refuses: `access` says whether the caller is checked first. */
function refusal(error: GatewayError, access: Endpoint['access'], body: Endpoint['body'], renderError: Endpoint['renderError']): Endpoint {
  return {
    access,
    body,
    handle: () => Promise.reject(error),
    renderError,
  };
}

/** Refusals on `/mcp` (auth, host, origin, content type) as JSON-RPC errors (what MCP clients parse), with the HTTP status of the kind. */
function renderMcpFailure(res: ServerResponse, error: unknown, challenge = 'Bearer'): void {
  const failure = error instanceof GatewayError ? error : new GatewayError('internal', 'The gateway failed to handle the request. Try again later.');
  const headers: Record<string, string> = failure.kind === 'unauthorized' ? { 'www-authenticate': challenge } : {};
  sendJson(res, failure.status, { jsonrpc: '2.0', error: { code: -32000, message: failure.message }, id: null }, headers);
}
