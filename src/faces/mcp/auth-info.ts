/**
 * How the server's auth step hands the caller to MCP tools: the SDK's Streamable HTTP transport
 * passes `req.auth` to every handler as `extra.authInfo`, and `toRequestContext` reads the
 * principal back from there. The token itself is not passed on: tools never need it.
 */
import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Principal } from '../../policy/types.js';

export function authInfoFor(principal: Principal): AuthInfo {
  return {
    token: '',
    clientId: principal.keyId ?? principal.kind,
    scopes: principal.admin ? ['admin'] : [],
    extra: { principal },
  };
}

export function attachPrincipal(req: IncomingMessage, principal: Principal): void {
  (req as IncomingMessage & { auth?: AuthInfo }).auth = authInfoFor(principal);
}

export function principalFrom(authInfo: AuthInfo | undefined): Principal | undefined {
  return authInfo?.extra?.principal as Principal | undefined;
}
