/**
 * `tollgate://budget`: the caller's budgets, rate limits and spend, as JSON. A client that
 * subscribes to it (`resources/subscribe`) is sent `notifications/resources/updated` when one of
 * the caller's budgets crosses 50 %, 80 % or 100 % of its limit, or a limit changes: checked as
 * each of the caller's requests settles, so an agent can watch its money without polling.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, SubscribeRequestSchema, UnsubscribeRequestSchema, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { RequestSettled } from '../../core/hooks.js';
import type { BudgetStatus, Gateway } from '../../core/types.js';
import { utcDate } from '../../core/utc-date.js';
import { seesEverything } from '../../policy/auth/caller-id.js';
import type { Principal } from '../../policy/types.js';
import { principalFrom } from './auth-info.js';

export const BUDGET_URI = 'tollgate://budget';
/** Shares of a limit whose crossing is announced. */
export const BUDGET_THRESHOLDS = [0.5, 0.8, 1] as const;

export function registerBudgetResource(server: McpServer, gateway: Gateway, now: () => Date = () => new Date()): void {
  server.registerResource(
    'budget',
    BUDGET_URI,
    {
      title: 'Your budgets and spend',
      description: 'Your budgets (limit, spent, remaining, reset), rate limits and spend today and this month. Subscribe to hear when a budget crosses 50, 80 or 100 % or a limit changes.',
      mimeType: 'application/json',
    },
    async (uri, extra): Promise<ReadResourceResult> => {
      const view = await budgetView(gateway, principalFrom(extra.authInfo), now());
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(view, null, 2) }] };
    },
  );

  let watcher: Watcher | undefined;
  server.server.registerCapabilities({ resources: { subscribe: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    if (request.params.uri !== BUDGET_URI) throw new McpError(ErrorCode.InvalidParams, `Only ${BUDGET_URI} can be subscribed to.`);
    watcher?.stop();
    watcher = new Watcher(gateway, principalFrom(extra.authInfo), () => server.server.sendResourceUpdated({ uri: BUDGET_URI }));
    await watcher.start();
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    if (request.params.uri === BUDGET_URI) {
      watcher?.stop();
      watcher = undefined;
    }
    return {};
  });
  const closed = server.server.onclose;
  server.server.onclose = () => {
    watcher?.stop();
    closed?.();
  };
}

/** What `tollgate://budget` shows the caller. */
export async function budgetView(gateway: Gateway, principal: Principal | undefined, at: Date) {
  const today = utcDate(at);
  const [budgets, [day], [month]] = await Promise.all([
    gateway.budgetStatus(principal),
    gateway.report({ startDate: today, endDate: today }, principal),
    gateway.report({ startDate: `${today.slice(0, 7)}-01`, endDate: today }, principal),
  ]);
  return {
    budgets: budgets.map((budget) => ({
      scope: budget.scope,
      scope_id: budget.scopeId,
      period: budget.period,
      limit_usd: budget.limitUsd,
      spent_usd: budget.spentUsd,
      reserved_usd: budget.reservedUsd,
      remaining_usd: budget.remainingUsd,
      used_percent: budget.limitUsd > 0 ? Math.round((budget.spentUsd / budget.limitUsd) * 1000) / 10 : null,
      resets_at: budget.resetsAt,
    })),
    rate_limits: { requests_per_minute: principal?.limits.rpm ?? null, tokens_per_minute: principal?.limits.tpm ?? null },
    spend: { today_usd: day?.total_cost ?? 0, this_month_usd: month?.total_cost ?? 0 },
  };
}

/**
 * One session's subscription. The gateway's `settled` hook has one listener per gateway (hooks
 * cannot be removed), which hands each settled request to the watchers of that gateway.
 */
class Watcher {
  private last = '';
  private stopped = false;

  constructor(
    private readonly gateway: Gateway,
    private readonly principal: Principal | undefined,
    private readonly announce: () => Promise<void>,
  ) {}

  async start(): Promise<void> {
    this.last = await this.state();
    watchersOf(this.gateway).add(this);
  }

  stop(): void {
    this.stopped = true;
    watchersOf(this.gateway).delete(this);
  }

  concerns(request: RequestSettled['request']): boolean {
    const principal = this.principal;
    if (seesEverything(principal)) return true;
    return (principal?.keyId != null && request.keyId === principal.keyId) || (principal?.user != null && request.user === principal.user);
  }

  /** Whether the state changed, and so was announced. */
  async check(): Promise<boolean> {
    const state = await this.state();
    if (this.stopped || state === this.last) return false;
    this.last = state;
    await this.announce();
    return true;
  }

  /**
   * Checks after a request of the caller settled. The hook runs as its ledger row is written;
   * its cost reaches the budget counters a moment later (a store round trip), so look again a
   * few times until the change shows.
   */
  checkSoon(delays: readonly number[] = RECHECK_MS): void {
    const [delay, ...rest] = delays;
    if (delay === undefined || this.stopped) return;
    setTimeout(() => {
      this.check().then(
        (changed) => changed || this.checkSoon(rest),
        () => undefined,
      );
    }, delay).unref();
  }

  /** What a notification is about: each budget's limit and how many thresholds its spend has crossed. */
  private async state(): Promise<string> {
    const budgets = await this.gateway.budgetStatus(this.principal);
    return budgets.map((budget) => `${budget.scope}:${budget.scopeId}:${budget.period}:${budget.limitUsd}:${crossed(budget)}`).join('|');
  }
}

function crossed(budget: BudgetStatus): number {
  return BUDGET_THRESHOLDS.filter((threshold) => budget.spentUsd >= threshold * budget.limitUsd).length;
}

/** When to look at the budgets after a settled request, each delay after the previous look. */
const RECHECK_MS = [0, 20, 100, 500, 2_000];

const watchers = new WeakMap<Gateway, Set<Watcher>>();

function watchersOf(gateway: Gateway): Set<Watcher> {
  let set = watchers.get(gateway);
  if (!set) {
    const created = new Set<Watcher>();
    watchers.set(gateway, created);
    gateway.hooks.on('settled', ({ request }) => {
      for (const watcher of created) if (watcher.concerns(request)) watcher.checkSoon();
    });
    set = created;
  }
  return set;
}
