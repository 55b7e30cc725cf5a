/**
 * `/mcp` as an OAuth 2.1 protected resource, once OIDC issuers are configured: MCP hosts that do
 * OAuth learn from the metadata document (RFC 9728) which authorization servers issue its tokens,
 * ask them for a token naming this resource (RFC 8707), and find the document from the
 * `WWW-Authenticate` challenge of a 401. A token for any other audience is refused on `/mcp`, so
 * a token minted for another service cannot be replayed here.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../../config/schema.js';

export const MCP_PATH = '/mcp';
const METADATA_PATH = '/.well-known/oauth-protected-resource';
/** The bare form and the form suffixed with the resource's path (what MCP clients try first). */
export const PROTECTED_RESOURCE_METADATA_PATHS: readonly string[] = [METADATA_PATH, `${METADATA_PATH}${MCP_PATH}`];

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: string[];
  resource_name: string;
}

export interface ProtectedResource {
  /** The resource URL of `/mcp`, the audience its tokens must name. */
  resourceFor(headers: IncomingHttpHeaders): string;
  metadata(headers: IncomingHttpHeaders): ProtectedResourceMetadata;
  /** The `WWW-Authenticate` value of a 401 on `/mcp`. */
  challenge(headers: IncomingHttpHeaders): string;
}

/**
 * Undefined without issuers: then only Tollgate keys authenticate, and there is no
 * authorization server to point at. The resource is `auth.mcpResource` when set (a gateway
 * behind a proxy or TLS terminator must set it); otherwise the URL the client reached, from its
 * Host header (which the request guard has already checked).
 */
export function mcpProtectedResource(config: Config): ProtectedResource | undefined {
  const issuers = [...new Set(config.auth.issuers.map((issuer) => issuer.issuer))];
  if (issuers.length === 0) return undefined;
  const configured = config.auth.mcpResource;
  const resourceFor = (headers: IncomingHttpHeaders): string => configured ?? `http://${headers.host ?? 'localhost'}${MCP_PATH}`;
  const metadataUrlFor = (headers: IncomingHttpHeaders): string => {
    const resource = new URL(resourceFor(headers));
    return `${resource.origin}${METADATA_PATH}${resource.pathname === '/' ? '' : resource.pathname}`;
  };
  return {
    resourceFor,
    metadata: (headers) => ({ resource: resourceFor(headers), authorization_servers: issuers, bearer_methods_supported: ['header'], resource_name: 'Tollgate' }),
    challenge: (headers) => `Bearer resource_metadata="${metadataUrlFor(headers)}"`,
  };
}

/** The path of a request target, without its query. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
