/**
 * The core's `RequestContext` for a tool call. One place, so that when `/mcp` authenticates
 * (virtual keys, OIDC) the key and user reach every tool from `extra.authInfo` here.
 */
import type { RequestContext } from '../../core/types.js';
import { principalContext } from '../../policy/auth/principal-context.js';
import { principalFrom } from './auth-info.js';
import type { ToolExtra } from './progress.js';

export function toRequestContext(extra: ToolExtra): RequestContext {
  const principal = principalFrom(extra.authInfo);
  // Aborts the upstream call when the client cancels the request or goes away.
  return { face: 'mcp', signal: extra.signal, ...(principal ? principalContext(principal) : {}) };
}
