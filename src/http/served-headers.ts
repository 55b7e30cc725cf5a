import type { RequestContext } from '../core/types.js';
import { rateLimitHeaders } from './rate-limit-headers.js';

/** Who served a request, for any face: request id, provider, model, attempts, and the rate-limit windows that applied. */
export function servedHeaders(
  served: { provider: string; servedModel: string; requestId: string; attempts: number; cache?: 'hit' | 'miss' },
  context: RequestContext,
): Record<string, string> {
  return {
    ...rateLimitHeaders(context.rateLimit),
    'x-request-id': served.requestId,
    'x-tollgate-provider': served.provider,
    'x-tollgate-model': served.servedModel,
    'x-tollgate-attempts': String(served.attempts),
    ...(served.cache ? { 'x-tollgate-cache': served.cache } : {}),
  };
}
