/** The `get_spend` tool: what has been spent, in total and grouped. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Gateway, SpendQuery, SpendReport, SpendRow } from '../../../core/types.js';
import { structuredResult } from '../results.js';
import { invalidArgumentsResult, toolErrorResult } from '../tool-errors.js';

const GroupBySchema = z.enum(['model', 'provider', 'day', 'user', 'tag', 'face']);

export const GetSpendInputSchema = z.object({
  start: z
    .string()
    .optional()
    .describe('Inclusive start, ISO 8601: a date (2025-01-31, midnight UTC) or a date-time (2025-01-31T12:00:00Z).'),
  end: z.string().optional().describe('Exclusive end, same format as start.'),
  group_by: GroupBySchema.optional().describe('Break the totals down by model, provider, day, user, tag or face.'),
});

const SpendFigures = {
  requests: z.number().int().nonnegative(),
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cache_read_tokens: z.number().int().nonnegative(),
  cache_write_tokens: z.number().int().nonnegative(),
  reasoning_tokens: z.number().int().nonnegative(),
  cost_usd: z.number().nonnegative().describe('USD of requests with a known price.'),
  unpriced_requests: z.number().int().nonnegative().describe('Requests whose cost is unknown (no price for the model).'),
};

export const GetSpendOutputSchema = z.object({
  start: z.string().nullable(),
  end: z.string().nullable(),
  group_by: GroupBySchema.nullable(),
  totals: z.object(SpendFigures),
  groups: z.array(z.object({ group: z.string(), ...SpendFigures })),
});
export type GetSpendToolOutput = z.infer<typeof GetSpendOutputSchema>;

const MAX_LISTED_GROUPS = 50;

const description = `Report what has been spent through this Tollgate gateway: requests, tokens and USD cost, in total and optionally grouped by model, provider, day, user, tag or face, over a time window.
Use it to check how much a task cost, what is left before a budget runs out, or which models cost the most.
Free: it reads the gateway's ledger and calls no model.`;

export function registerGetSpendTool(server: McpServer, gateway: Gateway): void {
  server.registerTool(
    'get_spend',
    {
      title: 'Report spending',
      description,
      inputSchema: GetSpendInputSchema,
      outputSchema: GetSpendOutputSchema,
      annotations: {
        title: 'Report spending',
        readOnlyHint: true,
        destructiveHint: false,
        // Reading changes nothing, so repeating it is harmless (the figures still move as requests land).
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    (input): CallToolResult => {
      const start = toIsoTimestamp(input.start);
      const end = toIsoTimestamp(input.end);
      if (start === null || end === null) {
        return invalidArgumentsResult(
          '`start` and `end` must be ISO 8601 dates (2025-01-31) or date-times (2025-01-31T12:00:00Z).',
        );
      }
      try {
        const query: SpendQuery = { start, end, groupBy: input.group_by };
        const report = gateway.spend(query);
        return renderSpend(report, input.group_by ?? null);
      } catch (error) {
        return toolErrorResult(error);
      }
    },
  );
}

/** undefined stays undefined (no bound); an unreadable value is null. */
function toIsoTimestamp(value: string | undefined): string | undefined | null {
  if (value === undefined) return undefined;
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
  if (!iso.test(value.trim())) return null;
  const time = Date.parse(value.trim());
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function figures(row: Omit<SpendRow, 'group'>): GetSpendToolOutput['totals'] {
  return {
    requests: row.requests,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cache_read_tokens: row.cacheReadTokens,
    cache_write_tokens: row.cacheWriteTokens,
    reasoning_tokens: row.reasoningTokens,
    cost_usd: row.cost,
    unpriced_requests: row.unpricedRequests,
  };
}

function renderSpend(report: SpendReport, groupBy: GetSpendToolOutput['group_by']): CallToolResult {
  const structured: GetSpendToolOutput = {
    start: report.start,
    end: report.end,
    group_by: groupBy,
    totals: figures(report.totals),
    groups: report.groups.map((row) => ({ group: row.group, ...figures(row) })),
  };
  const window = `${report.start ?? 'the beginning'} to ${report.end ?? 'now'}`;
  const line = (row: Omit<SpendRow, 'group'>): string =>
    `$${row.cost.toFixed(6)} over ${row.requests} request${row.requests === 1 ? '' : 's'} (${row.inputTokens} input / ${row.outputTokens} output tokens${row.unpricedRequests ? `, ${row.unpricedRequests} without a price` : ''})`;
  const lines = [`Spend from ${window}: ${line(report.totals)}.`];
  if (groupBy) {
    for (const row of report.groups.slice(0, MAX_LISTED_GROUPS)) lines.push(`- ${row.group}: ${line(row)}`);
    if (report.groups.length > MAX_LISTED_GROUPS) {
      lines.push(`… and ${report.groups.length - MAX_LISTED_GROUPS} more groups in structuredContent.groups.`);
    }
  }
  return structuredResult(structured, lines.join('\n'));
}
