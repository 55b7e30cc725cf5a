import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { CacheDirectives } from '../core/response-cache.js';

const TTL = /^\s*ttl\s*=\s*(\d{1,9})\s*$/i;

/**
 * What a request's headers ask of the response cache: `x-tollgate-cache: ttl=600` opts in for
 * 600 s; `Cache-Control: no-cache` skips the cached answer, `no-store` the cache altogether.
 * Undefined when they ask nothing.
 */
export function readCacheHeaders(headers: IncomingHttpHeaders): CacheDirectives | undefined {
  const directives: CacheDirectives = {};
  const asked = headers['x-tollgate-cache'];
  if (typeof asked === 'string') {
    const ttl = TTL.exec(asked);
    if (!ttl || Number(ttl[1]) === 0) {
      throw new GatewayError('invalid_request', 'x-tollgate-cache must be `ttl=<seconds>`, seconds a whole number above 0, e.g. `x-tollgate-cache: ttl=600`');
    }
    directives.ttlSeconds = Number(ttl[1]);
  }
  const control = (headers['cache-control'] ?? '').toLowerCase().split(',').map((part) => part.trim());
  if (control.includes('no-store')) directives.noStore = true;
  else if (control.includes('no-cache')) directives.noCache = true;
  return Object.keys(directives).length ? directives : undefined;
}
