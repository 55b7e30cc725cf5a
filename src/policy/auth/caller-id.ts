import type { Principal } from '../types.js';

/**
 * One stable name per caller, for what belongs to a caller beyond one request (MCP sessions,
 * stored images and audio): the key id (`key_…`), the token subject (`jwt:<iss>#<sub>`), or
 * `admin` / `anonymous`, which no key id can be.
 */
export function callerId(principal: Principal | undefined): string {
  if (!principal || principal.kind === 'anonymous') return 'anonymous';
  if (principal.admin || principal.kind === 'admin') return 'admin';
  return principal.keyId ?? principal.kind;
}

/** Callers trusted with everything: the admin key, and anyone while no auth is configured (loopback). */
export function seesEverything(principal: Principal | undefined): boolean {
  return !principal || principal.admin || principal.kind === 'admin' || principal.kind === 'anonymous';
}
