/**
 * The reporting face, in Vercel AI Gateway's shapes:
 *
 *   GET /v1/report    spend grouped by day|hour, user, model, tag, provider or api_key_name
 *   GET /v1/credits   what is left of the caller's budgets, and what the caller has spent
 *
 * Both answer for the calling principal only: a virtual key sees its own requests, a JWT caller
 * its user's; the admin key and anonymous loopback use see everything. The core decides that.
 */
import type { IncomingMessage } from 'node:http';
import type { Gateway, ReportQuery } from '../../core/types.js';
import { utcDate } from '../../core/utc-date.js';
import { sendJson } from '../../http/respond.js';
import type { Route } from '../../http/route.js';
import type { Principal } from '../../policy/types.js';
import { parseReportParams } from './report-api.js';
import { renderCredits } from './render-credits.js';

export type ReportGateway = Pick<Gateway, 'report' | 'budgetStatus'>;

export function reportRoutes(gateway: ReportGateway, clock: () => Date = () => new Date()): Route[] {
  const totalUsd = (query: ReportQuery, principal: Principal | undefined): number => gateway.report(query, principal)[0]?.total_cost ?? 0;

  return [
    {
      method: 'GET',
      path: '/v1/report',
      handle: async (req, res, context) => {
        const query = parseReportParams(searchOf(req));
        sendJson(res, 200, { results: gateway.report(query, context.principal) });
      },
    },
    {
      method: 'GET',
      path: '/v1/credits',
      handle: async (_req, res, context) => {
        const { principal } = context;
        const today = utcDate(clock());
        const monthStart = `${today.slice(0, 8)}01`;
        sendJson(
          res,
          200,
          renderCredits({
            budgets: await gateway.budgetStatus(principal),
            totalUsedUsd: totalUsd({}, principal),
            todayUsd: totalUsd({ startDate: today, endDate: today }, principal),
            thisMonthUsd: totalUsd({ startDate: monthStart, endDate: today }, principal),
          }),
        );
      },
    },
  ];
}

function searchOf(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? '';
  const mark = url.indexOf('?');
  return new URLSearchParams(mark === -1 ? '' : url.slice(mark + 1));
}
