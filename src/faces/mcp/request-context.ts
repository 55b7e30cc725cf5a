/**
 * The core's `RequestContext` for a tool call. One place, so that when `/mcp` authenticates
 * (virtual keys, OIDC) the key and user reach every tool from `extra.authInfo` here.
 */
import type { RequestContext } from '../../core/types.js';
import { principalContext } from '../../policy/auth/principal-context.js';
import { principalFrom } from './auth-info.js';
import type { ToolExtra } from './progress.js';

/** The trace each running tool call continues, by the handler context the SDK gave it. */
const traces = new WeakMap<ToolExtra, string>();

/** The gateway requests a tool call makes continue this `traceparent` (its span's). */
export function continueTrace(extra: ToolExtra, traceparent: string): void {
  traces.set(extra, traceparent);
}

export function toRequestContext(extra: ToolExtra): RequestContext {
  const principal = principalFrom(extra.authInfo);
  const traceparent = traces.get(extra);
  // Aborts the upstream call when the client cancels the request or goes away.
  return { face: 'mcp', signal: extra.signal, ...(principal ? principalContext(principal) : {}), ...(traceparent ? { traceparent } : {}) };
}
