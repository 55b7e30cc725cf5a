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
import { readOnlyAnnotations, structuredResult } from '../results.js';
import { count, toolInput, toolOutput } from '../tool-schema.js';
import { SPEND_APP_URI } from '../spend-app.js';
import { invalidArgumentsResult, toolErrorResult } from '../tool-errors.js';

const GroupBySchema = z.enum(reportGroupBys);
const DatePartSchema = z.enum(reportDateParts);

export const GetSpendInputSchema = toolInput({
  start_date: z.string().optional().describe('YYYY-MM-DD UTC, inclusive; default: first request.'),
  end_date: z.string().optional().describe('YYYY-MM-DD UTC, inclusive; default: today.'),
  group_by: GroupBySchema.optional().describe('Rows per value; default: total only.'),
  date_part: DatePartSchema.optional().describe('With group_by day.'),
  user_id: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  provider: z.string().min(1).optional(),
  api_key_name: z.string().min(1).optional(),
  tags: z.array(z.string().min(1)).max(50).optional(),
  tags_match: z.enum(['any', 'all']).optional().describe('Default any.'),
});

const RowFields = {
  total_cost: z.number(),
  market_cost: z.number(),
  input_tokens: count,
  output_tokens: count,
  cached_input_tokens: count,
  cache_creation_input_tokens: count,
  reasoning_tokens: count,
  request_count: count,
  unpriced_request_count: count,
  refused_count: count.optional(),
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

export const GetSpendOutputSchema = toolOutput({
  start_date: z.string().nullable(),
  end_date: z.string(),
  group_by: GroupBySchema.nullable(),
  date_part: DatePartSchema.nullable(),
  total: z
    .object(RowFields)
    .describe(
      '{total_cost (USD), market_cost, request_count, unpriced_request_count, refused_count, input_tokens, output_tokens, cached_input_tokens, cache_creation_input_tokens, reasoning_tokens}',
    ),
  results: z.array(z.object({ ...GroupFields, ...RowFields })).describe('Rows like total, with the group_by field.'),
});
export type GetSpendToolOutput = z.infer<typeof GetSpendOutputSchema>;

const MAX_LISTED_GROUPS = 50;

const description = `Spend here: requests, tokens and USD, in total or per day/hour, user, model, tag, provider or api_key_name, over UTC days, filtered. A virtual key sees its own. Free.`;

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
      annotations: readOnlyAnnotations,
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
