/**
 * The `get_spend` tool: the spend report of `GET /v1/report` (same query, same row fields),
 * scoped to the caller like the HTTP endpoint: a virtual key sees its own requests, a JWT caller
 * its user's, the admin key and unauthenticated local use everything.
 *
 * It is an MCP App too: hosts that render apps show its result as a chart (the
 * `ui://tollgate/spend` view); others read the same text and structured content.
 */
import { registerAppTool } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { reportDateParts, reportGroupBys, type Gateway, type ReportGroupField, type ReportQuery, type ReportRow } from '../../../core/types.js';
import { isCalendarDate, utcDate } from '../../../core/utc-date.js';
import type { ToolExtra } from '../progress.js';
import { toRequestContext } from '../request-context.js';
import { structuredResult } from '../results.js';
import { SPEND_APP_URI } from '../spend-app.js';
import { invalidArgumentsResult, toolErrorResult } from '../tool-errors.js';

const GroupBySchema = z.enum(reportGroupBys);
const DatePartSchema = z.enum(reportDateParts);

export const GetSpendInputSchema = z.object({
  start_date: z.string().optional().describe('First UTC day included, YYYY-MM-DD. Default: since the first request.'),
  end_date: z.string().optional().describe('Last UTC day included, YYYY-MM-DD. Default: today.'),
  group_by: GroupBySchema.optional().describe(
    'One row per day (or hour, with date_part), user, model, tag, provider or api_key_name (the virtual key). Default: totals only.',
  ),
  date_part: DatePartSchema.optional().describe('With group_by "day": "day" (default) or "hour" rows.'),
  user_id: z.string().min(1).optional().describe('Only requests attributed to this user.'),
  model: z.string().min(1).optional().describe('Only requests served by this model (provider/model).'),
  provider: z.string().min(1).optional().describe('Only requests served by this provider.'),
  api_key_name: z.string().min(1).optional().describe('Only requests made with the virtual key of this name.'),
  tags: z.array(z.string().min(1)).max(50).optional().describe('Only requests carrying these tags (see tags_match).'),
  tags_match: z.enum(['any', 'all']).optional().describe('"any" (default): at least one of the tags; "all": every one.'),
});

const RowFields = {
  total_cost: z.number().nonnegative().describe('USD of requests with a known price.'),
  market_cost: z.number().nonnegative(),
  input_tokens: z.number().int().nonnegative().describe('Input tokens, cache reads and writes included.'),
  output_tokens: z.number().int().nonnegative(),
  cached_input_tokens: z.number().int().nonnegative(),
  cache_creation_input_tokens: z.number().int().nonnegative(),
  reasoning_tokens: z.number().int().nonnegative(),
  request_count: z.number().int().nonnegative(),
  unpriced_request_count: z.number().int().nonnegative().describe('Requests whose model has no known price (not in total_cost).'),
  refused_count: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('Requests refused by a budget, rate limit or allowlist before any model was called (not in request_count); absent when grouped or filtered by model, provider or tag.'),
};
const GroupFields = {
  day: z.string().optional(),
  hour: z.string().optional(),
  user: z.string().optional(),
  model: z.string().optional(),
  tag: z.string().optional(),
  provider: z.string().optional(),
  api_key_name: z.string().optional(),
};

export const GetSpendOutputSchema = z.object({
  start_date: z.string().nullable(),
  end_date: z.string(),
  group_by: GroupBySchema.nullable(),
  date_part: DatePartSchema.nullable(),
  total: z.object(RowFields),
  results: z.array(z.object({ ...GroupFields, ...RowFields })).describe('The grouping field is absent on the row of requests without that value.'),
});
export type GetSpendToolOutput = z.infer<typeof GetSpendOutputSchema>;

const MAX_LISTED_GROUPS = 50;

const description = `Report what has been spent through this Tollgate gateway: requests, tokens and USD cost, in total and optionally grouped by day (or hour), user, model, tag, provider or api_key_name, over a range of UTC days, with filters.
Use it to check how much a task cost, what is left before a budget runs out, or which models cost the most. A virtual key sees only its own requests.
Free: it reads the gateway's ledger and calls no model.`;

export function registerGetSpendTool(server: McpServer, gateway: Gateway): void {
  registerAppTool(
    server,
    'get_spend',
    {
      title: 'Report spending',
      description,
      inputSchema: GetSpendInputSchema,
      outputSchema: GetSpendOutputSchema,
      _meta: { ui: { resourceUri: SPEND_APP_URI } },
      annotations: {
        title: 'Report spending',
        readOnlyHint: true,
        destructiveHint: false,
        // Reading changes nothing, so repeating it is harmless (the figures still move as requests land).
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    async (input, extra: ToolExtra): Promise<CallToolResult> => {
      for (const name of ['start_date', 'end_date'] as const) {
        const value = input[name];
        if (value !== undefined && !isCalendarDate(value)) {
          return invalidArgumentsResult(`\`${name}\` must be a UTC calendar date in ISO 8601 form, YYYY-MM-DD (got "${value}").`);
        }
      }
      const endDate = input.end_date ?? utcDate(new Date());
      if (input.start_date !== undefined && input.start_date > endDate) {
        return invalidArgumentsResult(`\`start_date\` (${input.start_date}) is after \`end_date\` (${endDate}).`);
      }
      const query: ReportQuery = { endDate };
      if (input.start_date !== undefined) query.startDate = input.start_date;
      if (input.user_id !== undefined) query.userId = input.user_id;
      if (input.model !== undefined) query.model = input.model;
      if (input.provider !== undefined) query.provider = input.provider;
      if (input.api_key_name !== undefined) query.apiKeyName = input.api_key_name;
      if (input.tags?.length) query.tags = input.tags;
      if (input.tags_match !== undefined) query.tagsMatch = input.tags_match;
      try {
        // The caller, when /mcp authenticated one; none (everything) on stdio and unauthenticated loopback use.
        const { principal } = toRequestContext(extra);
        const total = (await gateway.report(query, principal))[0]!;
        const datePart = input.group_by === 'day' ? (input.date_part ?? 'day') : null;
        const results = input.group_by
          ? await gateway.report({ ...query, groupBy: input.group_by, ...(datePart ? { datePart } : {}) }, principal)
          : [];
        return renderSpend({
          start_date: query.startDate ?? null,
          end_date: endDate,
          group_by: input.group_by ?? null,
          date_part: datePart,
          total,
          results,
        });
      } catch (error) {
        return toolErrorResult(error);
      }
    },
  );
}

function groupFieldOf(output: GetSpendToolOutput): ReportGroupField | undefined {
  if (!output.group_by) return undefined;
  if (output.group_by === 'day') return output.date_part === 'hour' ? 'hour' : 'day';
  return output.group_by;
}

function renderSpend(output: GetSpendToolOutput): CallToolResult {
  const window = `${output.start_date ?? 'the first request'} to ${output.end_date} (UTC days, inclusive)`;
  const line = (row: ReportRow): string =>
    `$${row.total_cost.toFixed(6)} over ${row.request_count} request${row.request_count === 1 ? '' : 's'} (${row.input_tokens} input / ${row.output_tokens} output tokens${row.unpriced_request_count ? `, ${row.unpriced_request_count} without a price` : ''})${row.refused_count ? `, and ${row.refused_count} refused` : ''}`;
  const lines = [`Spend from ${window}: ${line(output.total)}.`];
  const field = groupFieldOf(output);
  if (field) {
    for (const row of output.results.slice(0, MAX_LISTED_GROUPS)) lines.push(`- ${row[field] ?? `(no ${field.replace(/_/g, ' ')})`}: ${line(row)}`);
    if (output.results.length > MAX_LISTED_GROUPS) {
      lines.push(`… and ${output.results.length - MAX_LISTED_GROUPS} more rows in structuredContent.results.`);
    }
  }
  return structuredResult(output, lines.join('\n'));
}
