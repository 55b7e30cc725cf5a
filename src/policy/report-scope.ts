import type { ReportScope } from '../core/types.js';
import { seesEverything } from './auth/caller-id.js';
import type { Principal } from './types.js';

/**
 * Which ledger rows a caller may read in spend reports. Admins, and anonymous callers (only
 * possible when no auth is configured, i.e. a loopback install), see everything; a virtual key
 * sees its own requests; a token (JWT) caller sees its user's requests.
 */
export function reportScopeFor(principal: Principal | undefined): ReportScope {
  if (!principal || seesEverything(principal)) return { kind: 'all' };
  if (principal.kind === 'jwt' && principal.user) return { kind: 'user', user: principal.user };
  // A caller we cannot pin to rows sees none rather than everyone's: no row has an empty key id.
  return { kind: 'key', keyId: principal.keyId ?? '' };
}
