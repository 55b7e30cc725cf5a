/**
 * The caller of a process that serves one client for a long time (`tollgate mcp`): the key in
 * `TOLLGATE_API_KEY`, authenticated again on every request exactly as an HTTP request is, so a
 * revoked or expired key, or a changed budget, model list or rate limit, counts from the next
 * request on. A key that was valid at start and is no longer is named with the reason.
 */
import { GatewayError } from '../../core/errors.js';
import type { Principal } from '../types.js';
import type { KeyStore } from '../../store/types.js';
import type { Authenticator } from './authenticate.js';

export interface StandingCaller {
  /** The caller at start; throws when the credential is not accepted at all. */
  first: Principal;
  /** The caller as of now. */
  current(): Promise<Principal>;
}

export async function standingCaller(auth: Authenticator, keys: KeyStore, token: string | undefined): Promise<StandingCaller> {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const authenticate = () => auth.authenticate(headers, '/mcp');
  const first = await authenticate();
  return {
    first,
    current: async () => {
      try {
        return await authenticate();
      } catch (error) {
        throw await explainLostKey(error, first, keys);
      }
    },
  };
}

async function explainLostKey(error: unknown, first: Principal, keys: KeyStore): Promise<unknown> {
  if (first.kind !== 'key' || first.keyId === null) return error;
  const record = await keys.get(first.keyId);
  if (!record) return error;
  const advice = 'ask the operator for a new key and restart this MCP server with it in TOLLGATE_API_KEY';
  if (record.revokedAt) return new GatewayError('unauthorized', `the key "${record.name}" this MCP server acts as was revoked at ${record.revokedAt}; ${advice}`);
  if (record.expiresAt && Date.parse(record.expiresAt) <= Date.now()) {
    return new GatewayError('unauthorized', `the key "${record.name}" this MCP server acts as expired at ${record.expiresAt}; ${advice}`);
  }
  return error;
}
