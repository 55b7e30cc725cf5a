/**
 * Prompts that agents and people start from: pick the cheapest model that fits a task under the
 * caller's budget, and summarise the caller's spend for a period. Each reads the gateway (catalog,
 * budgets, ledger) for the caller, so the model it goes to gets the figures, not a guess.
 * Arguments complete: model types, model ids, periods.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { reportGroupBys, type BudgetStatus, type Gateway, type ModelType, type ReportGroupBy, type ReportQuery, type ReportRow } from '../../core/types.js';
import { addDays, isCalendarDate, utcDate } from '../../core/utc-date.js';
import { principalFrom } from './auth-info.js';
import { compareByInputPrice, completeModelId, matchesFilter, priceText, toModelView, type ModelView } from './catalog-view.js';

const MODEL_TYPES: readonly ModelType[] = ['language', 'embedding', 'reranking', 'image', 'speech', 'transcription'];
/** Periods by name; `YYYY-MM-DD..YYYY-MM-DD` names any other. */
export const PERIODS = ['today', 'yesterday', 'last_7_days', 'last_30_days', 'this_month', 'last_month'] as const;
/** Models listed in the cheapest-model prompt: enough to choose from, few enough to read. */
const MAX_CANDIDATES = 15;

const startingWith = (values: readonly string[], prefix: string): string[] => values.filter((value) => value.startsWith(prefix.toLowerCase()));

export function registerPrompts(server: McpServer, gateway: Gateway, now: () => Date = () => new Date()): void {
  server.registerPrompt(
    'cheapest_model',
    {
      title: 'Pick the cheapest model that fits',
      description: "The models that fit a task's kind and context size, cheapest first, with what is left of your budget; asks which to use.",
      argsSchema: {
        task: z.string().describe('What the model must do.'),
        type: completable(z.string().optional().describe(`Kind of model: ${MODEL_TYPES.join(', ')} (default language).`), (value) => startingWith(MODEL_TYPES, value ?? '')),
        context_tokens: z.string().optional().describe('Tokens the model must take in at once (prompt and documents).'),
      },
    },
    async (args, extra): Promise<GetPromptResult> => {
      const type = (args.type ?? 'language') as ModelType;
      if (!MODEL_TYPES.includes(type)) throw invalidArgument(`type must be one of ${MODEL_TYPES.join(', ')}`);
      const contextTokens = args.context_tokens === undefined ? undefined : Number(args.context_tokens);
      if (contextTokens !== undefined && !(Number.isInteger(contextTokens) && contextTokens > 0)) throw invalidArgument('context_tokens must be a whole number of tokens');
      const models = (await gateway.catalog())
        .map(toModelView)
        .filter((model) => matchesFilter(model, { type, ...(contextTokens ? { minContextWindow: contextTokens } : {}) }))
        .sort(compareByInputPrice);
      const budgets = await gateway.budgetStatus(principalFrom(extra.authInfo));
      return userPrompt(`The cheapest ${type} models that fit`, cheapestModelText(args.task, type, contextTokens, models, budgets));
    },
  );

  server.registerPrompt(
    'spend_summary',
    {
      title: 'Summarise spend for a period',
      description: 'Your spend for a period (totals and rows per model, or another grouping), with a request to summarise it and say how to spend less.',
      argsSchema: {
        period: completable(z.string().describe(`${PERIODS.join(', ')}, or YYYY-MM-DD..YYYY-MM-DD (UTC days).`), (value) => startingWith(PERIODS, value ?? '')),
        group_by: completable(z.string().optional().describe(`${reportGroupBys.join(', ')} (default model).`), (value) => startingWith(reportGroupBys, value ?? '')),
        model: completable(z.string().optional().describe('Only this model (provider/model).'), async (value) => completeModelId(await gateway.catalog(), value ?? '')),
      },
    },
    async (args, extra): Promise<GetPromptResult> => {
      const range = periodRange(args.period, utcDate(now()));
      if (!range) throw invalidArgument(`period must be one of ${PERIODS.join(', ')}, or YYYY-MM-DD..YYYY-MM-DD`);
      const groupBy = (args.group_by ?? 'model') as ReportGroupBy;
      if (!reportGroupBys.includes(groupBy)) throw invalidArgument(`group_by must be one of ${reportGroupBys.join(', ')}`);
      const query: ReportQuery = { startDate: range.start, endDate: range.end, ...(args.model ? { model: args.model } : {}) };
      const principal = principalFrom(extra.authInfo);
      const [total] = await gateway.report(query, principal);
      const rows = await gateway.report({ ...query, groupBy }, principal);
      return userPrompt(`Spend from ${range.start} to ${range.end}`, spendSummaryText(args.period, range, groupBy, total!, rows));
    },
  );
}

function invalidArgument(message: string): McpError {
  return new McpError(ErrorCode.InvalidParams, message);
}

function userPrompt(description: string, text: string): GetPromptResult {
  return { description, messages: [{ role: 'user', content: { type: 'text', text } }] };
}

/** The UTC days a period covers, both included; undefined when the period is not one. */
export function periodRange(period: string, today: string): { start: string; end: string } | undefined {
  const month = today.slice(0, 7);
  switch (period) {
    case 'today':
      return { start: today, end: today };
    case 'yesterday':
      return { start: addDays(today, -1), end: addDays(today, -1) };
    case 'last_7_days':
      return { start: addDays(today, -6), end: today };
    case 'last_30_days':
      return { start: addDays(today, -29), end: today };
    case 'this_month':
      return { start: `${month}-01`, end: today };
    case 'last_month': {
      const end = addDays(`${month}-01`, -1);
      return { start: `${end.slice(0, 7)}-01`, end };
    }
  }
  const [start, end] = period.split('..');
  if (start && end && isCalendarDate(start) && isCalendarDate(end) && start <= end) return { start, end };
  return undefined;
}

function cheapestModelText(task: string, type: ModelType, contextTokens: number | undefined, models: ModelView[], budgets: BudgetStatus[]): string {
  const tightest = budgets.reduce<BudgetStatus | undefined>((least, budget) => (!least || budget.remainingUsd < least.remainingUsd ? budget : least), undefined);
  const lines = [`Task: ${task}`, ''];
  lines.push(
    `Pick the cheapest model below that can do this task well, say why in one line, then call the tool for ${type} models with it as \`model\`.`,
  );
  if (contextTokens) lines.push(`It must take about ${contextTokens} tokens at once.`);
  if (tightest) {
    lines.push(`Budget: $${tightest.remainingUsd.toFixed(6)} left (${tightest.scope} ${tightest.scopeId}); a model without a price is refused under a budget, and the call must cost less than what is left.`);
  }
  lines.push('');
  if (models.length === 0) {
    lines.push(`No ${type} model here fits${contextTokens ? ` ${contextTokens} tokens of context` : ''}; say so and suggest splitting the input.`);
    return lines.join('\n');
  }
  lines.push(`Models that fit, cheapest input first${models.length > MAX_CANDIDATES ? ` (the first ${MAX_CANDIDATES} of ${models.length})` : ''}:`);
  for (const model of models.slice(0, MAX_CANDIDATES)) {
    const inputCost = contextTokens && model.input_per_million !== null ? (contextTokens * model.input_per_million) / 1_000_000 : undefined;
    const overBudget = tightest && inputCost !== undefined && inputCost > tightest.remainingUsd;
    lines.push(
      `- ${model.id}: ${priceText(model)}${model.context_window ? `, ${model.context_window} tokens of context` : ''}${inputCost !== undefined ? `, about $${inputCost.toFixed(6)} to read the input` : ''}${overBudget ? ' (more than the budget left)' : ''}`,
    );
  }
  return lines.join('\n');
}

function spendSummaryText(period: string, range: { start: string; end: string }, groupBy: ReportGroupBy, total: ReportRow, rows: ReportRow[]): string {
  const line = (row: ReportRow) =>
    `$${row.total_cost.toFixed(6)}, ${row.request_count} requests, ${row.input_tokens} input / ${row.output_tokens} output tokens${row.unpriced_request_count ? `, ${row.unpriced_request_count} without a price` : ''}${row.refused_count ? `, ${row.refused_count} refused` : ''}`;
  const lines = [
    `Summarise this spend through the Tollgate gateway for ${period} (${range.start} to ${range.end}, UTC days): the total, what cost most, anything unusual, and one or two ways to spend less.`,
    '',
    `Total: ${line(total)}.`,
    `By ${groupBy.replace(/_/g, ' ')}:`,
  ];
  if (rows.length === 0) lines.push('- (no requests)');
  const sorted = [...rows].sort((a, b) => b.total_cost - a.total_cost);
  for (const row of sorted) lines.push(`- ${row[groupBy] ?? `(no ${groupBy.replace(/_/g, ' ')})`}: ${line(row)}`);
  return lines.join('\n');
}
