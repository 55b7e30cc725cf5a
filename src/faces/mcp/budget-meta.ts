/**
 * Every tool result tells the caller what is left of its budgets: in `_meta['tollgate/budget']`
 * for programs, and in one short text block for models that only read text.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { BudgetStatus, Gateway } from '../../core/types.js';
import { principalFrom } from './auth-info.js';
import type { ToolExtra } from './progress.js';

export const BUDGET_META_KEY = 'tollgate/budget';

export function describeBudget(budget: BudgetStatus): string {
  const period = budget.period === 'total' ? 'in total' : `per ${budget.period}`;
  const resets = budget.resetsAt ? `, resets ${budget.resetsAt}` : '';
  return `Budget (${budget.scope} ${budget.scopeId}): $${budget.remainingUsd.toFixed(6)} left of $${budget.limitUsd} ${period}${resets}.`;
}

export async function withBudget(gateway: Gateway, result: CallToolResult, extra: ToolExtra): Promise<CallToolResult> {
  const budgets = await gateway.budgetStatus(principalFrom(extra.authInfo));
  if (budgets.length === 0) return result;
  const budget = budgets.map((status) => ({
    scope: status.scope,
    scope_id: status.scopeId,
    period: status.period,
    limit_usd: status.limitUsd,
    spent_usd: status.spentUsd,
    remaining_usd: status.remainingUsd,
    resets_at: status.resetsAt,
  }));
  return {
    ...result,
    content: [...result.content, { type: 'text', text: describeBudget(budgets[0]!) }],
    _meta: { ...result._meta, [BUDGET_META_KEY]: budget },
  };
}
