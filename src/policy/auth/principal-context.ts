import type { RequestContext } from '../../core/types.js';
import type { Principal } from '../types.js';
import { seesEverything } from './caller-id.js';

/**
 * The RequestContext fields a caller fixes: who it is, its key and its tags. Its user is settled
 * by the core once the request's own attribution is known (see `attributedUser`).
 */
export function principalContext(principal: Principal): Pick<RequestContext, 'principal' | 'keyId' | 'tags'> {
  return {
    principal,
    ...(principal.keyId !== null ? { keyId: principal.keyId } : {}),
    ...(principal.tags.length ? { tags: principal.tags } : {}),
  };
}

/**
 * Whether a caller may attribute its requests to a user it names: the admin, anonymous use (only
 * possible while no auth is configured, on loopback), and keys made with `allowUserOverride`.
 * Any other caller naming a user would charge that user's budgets and fill that user's reports.
 */
export function mayNameUser(principal: Principal | undefined): boolean {
  return seesEverything(principal) || principal?.allowUserOverride === true;
}

/**
 * The user a request is recorded under. A caller that may name users gets the one it named
 * (falling back to its own); any other gets its own user or none, and what it named is ignored.
 */
export function attributedUser(principal: Principal | undefined, named: string | null | undefined): string | null {
  const own = principal?.user ?? null;
  return mayNameUser(principal) ? (named ?? own) : own;
}
