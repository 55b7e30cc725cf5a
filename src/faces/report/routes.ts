/**
 * The reporting face, in Vercel AI Gateway's shapes where it has one:
 *
 *   GET /v1/report          spend grouped by day|hour, user, model, tag, provider or api_key_name
 *   GET /v1/credits         what is left of the caller's budgets, and what the caller has spent
 *   GET /v1/budgets         every budget the caller may watch, with its use and reset time
 *   GET /v1/requests        the request log, newest first, filtered and paged
 *   GET /v1/requests/{id}   one request with its attempts
 *
 * All answer for the calling principal only: a virtual key sees its own requests, a JWT caller
 * its user's; the admin key and anonymous loopback use see everything. The core decides that.
 */
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import type { Gateway, ReportQuery } from '../../core/types.js';
import { utcDate } from '../../core/utc-date.js';
import { sendJson } from '../../http/respond.js';
import type { Route } from '../../http/route.js';
import type { Principal } from '../../policy/types.js';
import { parseReportParams } from './report-api.js';
import { renderBudget, renderCredits } from './render-credits.js';
import { renderRequest, renderRequestDetail } from './render-request.js';
import { parseRequestsParams } from './requests-api.js';

export type ReportGateway = Pick<Gateway, 'report' | 'budgetStatus' | 'watchedBudgets' | 'listRequests' | 'getRequest'>;

const REQUESTS_PATH = '/v1/requests';

export function reportRoutes(gateway: ReportGateway, clock: () => Date = () => new Date()): Route[] {
  const totalUsd = async (query: ReportQuery, principal: Principal | undefined): Promise<number> => (await gateway.report(query, principal))[0]?.total_cost ?? 0;

  return [
    {
      method: 'GET',
      path: '/v1/report',
      handle: async (req, res, context) => {
        const query = parseReportParams(searchOf(req));
        sendJson(res, 200, { results: await gateway.report(query, context.principal) });
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
            totalUsedUsd: await totalUsd({}, principal),
            todayUsd: await totalUsd({ startDate: today, endDate: today }, principal),
            thisMonthUsd: await totalUsd({ startDate: monthStart, endDate: today }, principal),
          }),
        );
      },
    },
    {
      method: 'GET',
      path: '/v1/budgets',
      handle: async (_req, res, context) => {
        sendJson(res, 200, { object: 'list', data: (await gateway.watchedBudgets(context.principal)).map(renderBudget) });
      },
    },
    {
      method: 'GET',
      path: REQUESTS_PATH,
      handle: async (req, res, context) => {
        const query = parseRequestsParams(searchOf(req));
        const page = await gateway.listRequests(query, context.principal);
        const data = page.requests.map(renderRequest);
        sendJson(res, 200, { object: 'list', data, has_more: page.hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
      },
    },
    {
      method: 'GET',
      prefix: `${REQUESTS_PATH}/`,
      handle: async (req, res, context) => {
        const id = requestIdFromPath(req);
        const found = await gateway.getRequest(id, context.principal);
        // Another caller's request is as absent as one that never was.
        if (!found) throw new GatewayError('not_found', `no request with id "${id}"`);
        sendJson(res, 200, renderRequestDetail(found));
      },
    },
  ];
}

function requestIdFromPath(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const rest = (query === -1 ? url : url.slice(0, query)).slice(REQUESTS_PATH.length + 1);
  const id = decodeURIComponent(rest);
  if (!id || rest.includes('/')) throw new GatewayError('not_found', `no route GET ${REQUESTS_PATH}/${rest}; use ${REQUESTS_PATH}/{id}`);
  return id;
}

function searchOf(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? '';
  const mark = url.indexOf('?');
  return new URLSearchParams(mark === -1 ? '' : url.slice(mark + 1));
}
