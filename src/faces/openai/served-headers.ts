import { rateLimitHeaders } from '../../http/rate-limit-headers.js';
import type { RequestContext } from '../../core/types.js';

/** What every served answer tells the client about who served it (plus the rate-limit state). */
export function servedHeaders(served: { provider: string; servedModel: string; requestId: string; attempts: number }, context: RequestContext): Record<string, string> {
  return {
    ...rateLimitHeaders(context.rateLimit),
    'x-request-id': served.requestId,
    'x-tollgate-provider': served.provider,
    'x-tollgate-model': served.servedModel,
    'x-tollgate-attempts': String(served.attempts),
  };
}
