/**
 * The first link of every request: keeps web pages from driving the gateway through a user's
 * browser. A default install listens on loopback with no credentials, so a page the user opens
 * could otherwise spend on the operator's provider keys.
 *
 * - Host: a DNS-rebinding page reaches this server under the attacker's own name, so the Host
 *   must be a name of this gateway: a loopback name, an IP address (rebinding needs a DNS name),
 *   the name the server was told to listen on, or one of `server.allowedHosts`.
 * - Origin: a browser names the page that sent a request. Loopback pages and the origins in
 *   `server.allowedOrigins` may call; any other page (and the opaque `null`) is refused.
 *   Clients that are not browsers send no Origin and pass.
 * - CORS: allowed origins get real CORS answers (preflight, allowed and exposed headers).
 * - Content type: a page may POST `text/plain`, forms and multipart without a preflight, so a
 *   JSON route takes only JSON types and a form route only multipart/form-data.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { GatewayError } from '../core/errors.js';
import type { Middleware } from './chain.js';

/** What a route reads from the request body. */
export type BodyKind = 'json' | 'multipart' | 'none';

export interface RequestGuardOptions {
  /** The address the server listens on; a name given here is one the gateway answers to. */
  bindHost: string;
  /** Further Host names: `name` (any port), `name:port`, or `.example.com` (it and its subdomains). */
  allowedHosts: readonly string[];
  /** Origins (`scheme://host[:port]`) allowed to call from a browser, besides loopback pages. */
  allowedOrigins: readonly string[];
}

export interface RequestGuard {
  /**
   * Checks a request before anything reads it: throws `forbidden` for a foreign Host or Origin
   * and `unsupported_media_type` for a body the route does not take (`body` undefined: no route,
   * no check). Sets the CORS headers of an allowed Origin. True when it has answered the request
   * itself (a CORS preflight or any other OPTIONS).
   */
  admit(req: IncomingMessage, res: ServerResponse, body: BodyKind | undefined): boolean;
}

/** The body a route takes unless it says otherwise: JSON for the methods that carry one. */
export function defaultBodyKind(method: string): BodyKind {
  return method === 'POST' || method === 'PATCH' || method === 'PUT' ? 'json' : 'none';
}

const ALLOWED_METHODS = 'GET, POST, PATCH, DELETE, OPTIONS';

/** Request headers the official clients send (more are echoed from the preflight, see below). */
const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'accept',
  'x-api-key',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'openai-organization',
  'openai-project',
  'idempotency-key',
  'x-request-id',
  'ai-reporting-user',
  'ai-reporting-tags',
  'ai-gateway-protocol-version',
  'ai-gateway-auth-method',
  'ai-model-id',
  'ai-language-model-id',
  'ai-language-model-specification-version',
  'ai-language-model-streaming',
  'ai-embedding-model-specification-version',
  'ai-image-model-specification-version',
  'ai-speech-model-specification-version',
  'ai-transcription-model-specification-version',
  'ai-reranking-model-specification-version',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
].join(', ');

/** Response headers a page may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = [
  'x-request-id',
  'request-id',
  'x-tollgate-provider',
  'x-tollgate-model',
  'x-tollgate-attempts',
  'x-tollgate-cost',
  'x-tollgate-characters',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
  'retry-after',
  'idempotent-replayed',
  'mcp-session-id',
  'mcp-protocol-version',
].join(', ');

/** Browsers cache a preflight answer this long (they cap it themselves: Chrome at 2 h). */
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/** A comma-separated list of header names, as `Access-Control-Request-Headers` carries. */
const HEADER_NAME_LIST = /^[!#$%&'*+.^_`|~0-9a-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9a-z-]+)*$/i;

export function createRequestGuard(options: RequestGuardOptions): RequestGuard {
  const hostAllowed = hostRule(options.bindHost, options.allowedHosts);
  const originAllowed = originRule(options.allowedOrigins);

  return {
    admit(req, res, body) {
      // Whether a response carries Access-Control-Allow-Origin depends on the Origin: caches must know.
      res.setHeader('vary', 'Origin');
      const host = req.headers.host;
      if (!hostAllowed(host)) {
        throw new GatewayError(
          'forbidden',
          host
            ? `the Host ${quote(host)} is not a name of this gateway; a name other than localhost or an IP address must be listed in server.allowedHosts`
            : 'the request has no Host header',
        );
      }
      const origin = req.headers.origin;
      if (origin !== undefined) {
        if (!originAllowed(origin, host)) {
          throw new GatewayError(
            'forbidden',
            `the Origin ${quote(origin)} may not call this gateway from a browser; list it in server.allowedOrigins to allow it`,
          );
        }
        res.setHeader('access-control-allow-origin', origin);
        res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
      }
      if (req.method === 'OPTIONS') {
        answerOptions(req, res, origin !== undefined);
        return true;
      }
      if (body === 'json') requireJson(req.headers['content-type']);
      else if (body === 'multipart') requireMultipart(req.headers['content-type']);
      return false;
    },
  };
}

/** The guard as the chain's first check: a refusal throws, a preflight is answered here. */
export function guardBrowsers(guard: RequestGuard): Middleware {
  return async (exchange, next) => {
    if (guard.admit(exchange.req, exchange.res, exchange.endpoint.body)) return;
    await next();
  };
}

function answerOptions(req: IncomingMessage, res: ServerResponse, fromBrowser: boolean): void {
  if (!fromBrowser) {
    res.writeHead(204, { allow: ALLOWED_METHODS }).end();
    return;
  }
  // Browsers in clients (Anthropic's, OpenAI's) add headers of their own, such as x-stainless-*,
  // that no fixed list keeps up with: an allowed page may send the headers it asks for.
  const requested = req.headers['access-control-request-headers'];
  const extra = typeof requested === 'string' && HEADER_NAME_LIST.test(requested.trim()) ? `, ${requested.trim().toLowerCase()}` : '';
  const headers: Record<string, string> = {
    'access-control-allow-methods': ALLOWED_METHODS,
    'access-control-allow-headers': ALLOWED_HEADERS + extra,
    'access-control-max-age': PREFLIGHT_MAX_AGE_SECONDS,
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  };
  // A public page the operator listed may reach a gateway on loopback or a private network.
  if (req.headers['access-control-request-private-network'] === 'true') headers['access-control-allow-private-network'] = 'true';
  res.writeHead(204, headers).end();
}

function requireJson(contentType: string | undefined): void {
  const essence = mediaTypeEssence(contentType);
  if (essence !== null && (essence === 'application/json' || essence.endsWith('+json'))) return;
  throw new GatewayError('unsupported_media_type', `send the body as JSON with content-type: application/json (got ${describeType(contentType)})`);
}

function requireMultipart(contentType: string | undefined): void {
  if (mediaTypeEssence(contentType) === 'multipart/form-data') return;
  throw new GatewayError(
    'unsupported_media_type',
    `send the body as multipart/form-data with the audio in a part named "file" (got ${describeType(contentType)})`,
  );
}

/** `type/subtype` of a Content-Type, lower-cased, or null when it is not one media type. */
function mediaTypeEssence(contentType: string | undefined): string | null {
  if (!contentType) return null;
  const semicolon = contentType.indexOf(';');
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  // One token/token: `application/json, text/plain` is a list a browser reads as text/plain.
  return /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/.test(essence) ? essence : null;
}

function describeType(contentType: string | undefined): string {
  return contentType ? contentType.slice(0, 80) : 'no content-type';
}

/** Attacker-chosen text in a message: quoted and cut short. */
function quote(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

/** `localhost`, its subdomains (browsers resolve them to loopback themselves), 127/8 and ::1. */
function isLoopbackName(hostname: string): boolean {
  const lower = hostname.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost') || lower === '[::1]' || lower === '::1') return true;
  return isIP(lower) === 4 && lower.startsWith('127.');
}

/** An IP address a client may name (not the unspecified 0.0.0.0 or ::, which browsers have sent to loopback). */
function isSpecificAddress(hostname: string): boolean {
  const address = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const version = isIP(address);
  if (version === 4) return address !== '0.0.0.0';
  if (version === 6) return !/^[0:]+$/.test(address);
  return false;
}

/** Whether a Host header names this gateway. */
export function hostRule(bindHost: string, allowedHosts: readonly string[]): (host: string | undefined) => boolean {
  const names = new Set<string>();
  const domains: string[] = [];
  for (const entry of allowedHosts) {
    const lower = entry.toLowerCase();
    if (lower.startsWith('.')) domains.push(lower);
    else names.add(lower);
  }
  const bound = bindHost.toLowerCase();
  if (isIP(bound.replace(/^\[|\]$/g, '')) === 0) names.add(bound);

  return (host) => {
    if (!host) return false;
    const lower = host.toLowerCase();
    const hostname = hostnameOf(lower);
    if (hostname === null) return false;
    if (isLoopbackName(hostname) || isSpecificAddress(hostname)) return true;
    if (names.has(lower) || names.has(hostname)) return true;
    return domains.some((domain) => hostname.endsWith(domain) || hostname === domain.slice(1));
  };
}

/** `host[:port]` → host, keeping IPv6 brackets; null when what follows the host is not a port. */
function hostnameOf(host: string): string | null {
  const colon = host.lastIndexOf(':');
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : colon === -1 ? host.length : colon;
  if (end <= 0) return null;
  const rest = host.slice(end);
  return rest === '' || /^:\d{1,5}$/.test(rest) ? host.slice(0, end) : null;
}

/**
 * Whether a browser page of this Origin may call the gateway. A page the gateway served itself
 * (the console) is same-origin: its host is the request's Host, which the Host rule has passed.
 */
export function originRule(allowedOrigins: readonly string[]): (origin: string, host?: string) => boolean {
  const listed = new Set(allowedOrigins.map(canonicalOrigin).filter((origin): origin is string => origin !== null));
  return (origin, host) => {
    const canonical = canonicalOrigin(origin);
    if (canonical === null) return false;
    if (listed.has(canonical)) return true;
    const url = new URL(canonical);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    return isLoopbackName(url.hostname) || (host !== undefined && url.host === host.toLowerCase());
  };
}

/** `scheme://host[:port]` in canonical form, or null for `null` and other opaque origins. */
function canonicalOrigin(origin: string): string | null {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? null : url.origin;
  } catch {
    return null;
  }
}
