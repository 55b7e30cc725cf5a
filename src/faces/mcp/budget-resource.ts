/**
 * `tollgate://budget`: the caller's budgets, rate limits and spend, as JSON. A client that
 * subscribes to it (`resources/subscribe`) is sent `notifications/resources/updated` when one of
 * the caller's budgets crosses 50 %, 80 % or 100 % of its limit, or one of its limits changes,
 * whichever instance the spend or the change happened on; so an agent can watch its money
 * without polling. The notification's `_meta['tollgate/budget']` says where things now stand.
 *
 * A subscription is watched on the instance that took it; a later subscribe or unsubscribe of the
 * same session on another instance tells it over the bus to stop.
 */
import { randomUUID } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { ErrorCode, McpError, SubscribeRequestSchema, UnsubscribeRequestSchema, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { BudgetStatus, Gateway } from '../../core/types.js';
import { utcDate } from '../../core/utc-date.js';
import { seesEverything } from '../../policy/auth/caller-id.js';
import type { BudgetSignal, BudgetSignals } from '../../policy/budget-signals.js';
import type { NotificationBus } from '../../policy/state/bus/types.js';
import type { Principal } from '../../policy/types.js';
import { principalFrom } from './auth-info.js';

export const BUDGET_URI = 'tollgate://budget';
/** Shares of a limit whose crossing is announced. */
export const BUDGET_THRESHOLDS = [0.5, 0.8, 1] as const;
/** Where a notification says what the caller's budgets and limits now are. */
export const BUDGET_UPDATE_META_KEY = 'tollgate/budget';

export interface BudgetWatch {
  bus: NotificationBus;
  signals: BudgetSignals;
}

export function registerBudgetResource(server: McpServer, gateway: Gateway, watch: BudgetWatch, now: () => Date = () => new Date()): void {
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
  let claimed: { sessionId: string; stop: () => void } | undefined;
  const subscriptions = subscriptionsOf(watch.bus);
  server.server.registerCapabilities({ resources: { subscribe: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    if (request.params.uri !== BUDGET_URI) throw new McpError(ErrorCode.InvalidParams, `Only ${BUDGET_URI} can be subscribed to.`);
    watcher?.stop();
    const started = new Watcher(gateway, watch.signals, principalFrom(extra.authInfo), (state) =>
      server.server.sendResourceUpdated({ uri: BUDGET_URI, _meta: { [BUDGET_UPDATE_META_KEY]: state } }),
    );
    watcher = started;
    if (extra.sessionId) {
      claimed = { sessionId: extra.sessionId, stop: () => started.stop() };
      await subscriptions.claim(claimed.sessionId, claimed.stop);
    }
    await started.start();
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request, extra) => {
    if (request.params.uri === BUDGET_URI) {
      watcher?.stop();
      watcher = undefined;
      if (extra.sessionId) await subscriptions.release(extra.sessionId);
    }
    return {};
  });
  const closed = server.server.onclose;
  server.server.onclose = () => {
    watcher?.stop();
    // The entry's stop would otherwise keep this closed session's server alive for good.
    if (claimed) subscriptions.forget(claimed.sessionId, claimed.stop);
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

/** What a notification tells: each budget's limit and the highest threshold its spend has crossed, and the rate limits. */
interface WatchedState {
  budgets: Array<{ scope: string; scope_id: string; period: string; limit_usd: number; crossed_percent: number }>;
  rate_limits: { requests_per_minute: number | null; tokens_per_minute: number | null };
}

/**
 * One session's subscription: it hears crossed thresholds and changed keys (budget-signals.ts),
 * and looks at the caller's budgets when one may concern it. Looks run one at a time, so
 * notifications go out in the order things happened.
 */
class Watcher {
  private last = '';
  /** `scope:scopeId` of the budgets watched: crossings elsewhere are not looked at. */
  private scopes = new Set<string>();
  private stopped = false;
  private stopListening: (() => void) | undefined;
  private looks: Promise<void> = Promise.resolve();

  constructor(
    private readonly gateway: Gateway,
    private readonly signals: BudgetSignals,
    private principal: Principal | undefined,
    private readonly announce: (state: WatchedState) => Promise<void>,
  ) {}

  /** Resolves once it listens and knows where things stand. */
  async start(): Promise<void> {
    let ready!: () => void;
    // What is heard before the first look waits for it, and is compared with it.
    this.looks = new Promise<void>((resolve) => (ready = resolve));
    try {
      const stop = await this.signals.listen((signal) => this.heard(signal));
      if (this.stopped) return stop();
      this.stopListening = stop;
      this.remember(await this.state());
    } finally {
      ready();
    }
  }

  stop(): void {
    this.stopped = true;
    this.stopListening?.();
  }

  private heard(signal: BudgetSignal): void {
    if (this.stopped) return;
    if (signal.kind === 'spend') {
      if (seesEverything(this.principal) || this.scopes.has(`${signal.scope}:${signal.scopeId}`)) this.look(() => this.check());
      return;
    }
    const keyId = this.principal?.kind === 'key' ? this.principal.keyId : null;
    if (keyId === null || (signal.keyId !== null && signal.keyId !== keyId)) return;
    this.look(async () => {
      const principal = await this.signals.keyPrincipal(keyId);
      // A revoked key's session is refused from now on: there is nothing left to watch.
      if (!principal) return this.stop();
      this.principal = principal;
      await this.check();
    });
  }

  private look(run: () => Promise<void>): void {
    this.looks = this.looks.then(() => (this.stopped ? undefined : run())).catch(() => undefined);
  }

  private async check(): Promise<void> {
    const state = await this.state();
    if (this.stopped || !this.remember(state)) return;
    await this.announce(state);
  }

  /** Whether the state differs from the last one. */
  private remember(state: WatchedState): boolean {
    const text = JSON.stringify(state);
    if (text === this.last) return false;
    this.last = text;
    this.scopes = new Set(state.budgets.map((budget) => `${budget.scope}:${budget.scope_id}`));
    return true;
  }

  private async state(): Promise<WatchedState> {
    const budgets = await this.gateway.budgetStatus(this.principal);
    return {
      budgets: budgets
        .map((budget) => ({ scope: budget.scope, scope_id: budget.scopeId, period: budget.period, limit_usd: budget.limitUsd, crossed_percent: crossedPercent(budget) }))
        .sort((a, b) => `${a.scope}:${a.scope_id}:${a.period}`.localeCompare(`${b.scope}:${b.scope_id}:${b.period}`)),
      rate_limits: { requests_per_minute: this.principal?.limits.rpm ?? null, tokens_per_minute: this.principal?.limits.tpm ?? null },
    };
  }
}

/** The highest threshold the budget's spend has reached, in percent (0 below the first). */
function crossedPercent(budget: BudgetStatus): number {
  const reached = BUDGET_THRESHOLDS.filter((threshold) => budget.spentUsd >= threshold * budget.limitUsd);
  return reached.length ? Math.round(reached[reached.length - 1]! * 100) : 0;
}

const SUBSCRIPTIONS_CHANNEL = 'mcp-budget-subscriptions';
const Claim = z.object({ sessionId: z.string(), instance: z.string() });

/**
 * Which instance watches each session's subscription. A session's requests may land on any
 * instance: the one that takes a subscribe or an unsubscribe says so on the bus, and any other
 * instance watching for that session stops, so a session is watched once, and not after it
 * unsubscribed.
 */
class SessionSubscriptions {
  private readonly instance = randomUUID();
  private readonly watching = new Map<string, () => void>();
  private listening: Promise<unknown> | undefined;

  constructor(private readonly bus: NotificationBus) {}

  async claim(sessionId: string, stop: () => void): Promise<void> {
    await this.tell(sessionId);
    this.watching.set(sessionId, stop);
  }

  async release(sessionId: string): Promise<void> {
    this.watching.delete(sessionId);
    await this.tell(sessionId);
  }

  /**
   * Drops a closed copy's entry here, telling no one: the session's other copies close on their
   * own. A newer copy of the session on this instance keeps its own entry.
   */
  forget(sessionId: string, stop: () => void): void {
    if (this.watching.get(sessionId) === stop) this.watching.delete(sessionId);
  }

  get size(): number {
    return this.watching.size;
  }

  private async tell(sessionId: string): Promise<void> {
    this.listening ??= this.bus.subscribe(SUBSCRIPTIONS_CHANNEL, (message) => this.heard(message));
    try {
      await this.listening;
    } catch (error) {
      this.listening = undefined;
      throw error;
    }
    await this.bus.publish(SUBSCRIPTIONS_CHANNEL, JSON.stringify({ sessionId, instance: this.instance }));
  }

  private heard(message: string): void {
    let claim: z.infer<typeof Claim>;
    try {
      claim = Claim.parse(JSON.parse(message));
    } catch {
      return;
    }
    if (claim.instance === this.instance) return;
    const stop = this.watching.get(claim.sessionId);
    this.watching.delete(claim.sessionId);
    stop?.();
  }
}

const registries = new WeakMap<NotificationBus, SessionSubscriptions>();

function subscriptionsOf(bus: NotificationBus): SessionSubscriptions {
  let registry = registries.get(bus);
  if (!registry) registries.set(bus, (registry = new SessionSubscriptions(bus)));
  return registry;
}

/** Sessions whose `tollgate://budget` subscription is watched in this process through `bus`, for tests. */
export function watchedBudgetSessions(bus: NotificationBus): number {
  return registries.get(bus)?.size ?? 0;
}
