import type { RequestContext } from '../../core/types.js';
import type { Principal } from '../types.js';

/** The RequestContext fields a caller fixes: a key's user and tags win over what a request body says. */
export function principalContext(principal: Principal): Pick<RequestContext, 'principal' | 'keyId' | 'user' | 'tags'> {
  return {
    principal,
    ...(principal.keyId !== null ? { keyId: principal.keyId } : {}),
    ...(principal.user !== null ? { user: principal.user } : {}),
    ...(principal.tags.length ? { tags: principal.tags } : {}),
  };
}
