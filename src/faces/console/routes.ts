/**
 * The web console's face. Its pages are static files (see assets.ts), served without a
 * credential because they hold no data; everything they show comes from the API with the key
 * the user logs in with. The one route of its own:
 *
 *   GET /v1/live   the requests in flight and the last minute's rate, errors and cost
 *
 * scoped like spend reports: a virtual key sees its own requests, the admin key and anonymous
 * loopback use all of them.
 */
import type { Gateway } from '../../core/types.js';
import { fromNanos } from '../../core/usage.js';
import type { LiveSnapshot } from '../../core/live-view.js';
import { sendJson } from '../../http/respond.js';
import type { Route } from '../../http/route.js';

export { consoleAssets, CONSOLE_PATH } from './assets.js';

export function consoleRoutes(gateway: Pick<Gateway, 'live'>): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/live',
      handle: async (_req, res, context) => {
        sendJson(res, 200, renderLive(gateway.live(context.principal)), { 'cache-control': 'no-store' });
      },
    },
  ];
}

export function renderLive(snapshot: LiveSnapshot) {
  const minute = snapshot.lastMinute;
  return {
    object: 'live',
    now: snapshot.now,
    in_flight: snapshot.inFlight.map((request) => ({
      id: request.id,
      face: request.face,
      operation: request.operation,
      stream: request.stream,
      model: request.model,
      key_name: request.keyName,
      user: request.user,
      started_at: request.startedAt,
      elapsed_ms: Math.round(request.elapsedMs),
    })),
    last_minute: {
      requests: minute.requests,
      errors: minute.errors,
      cancelled: minute.cancelled,
      cost: fromNanos(minute.costNanos),
      per_second: minute.seconds,
    },
  };
}
