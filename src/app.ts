import { readFileSync } from 'node:fs';
import type { Config } from './config/schema.js';
import { createGateway, type GatewayCore } from './core/gateway.js';
import { createPricing } from './core/pricing.js';
import { createLogger, type Logger } from './logger.js';
import { createWebhookSink, type WebhookSink } from './policy/webhooks/index.js';
import { BudgetSignals } from './policy/budget-signals.js';
import { createNotificationBus, type NotificationBus } from './policy/state/bus/index.js';
import { createPolicyState } from './policy/state/create.js';
import { StoreOutage } from './policy/state/outage.js';
import type { PolicyState } from './policy/state/types.js';
import type { Sleep } from './core/router.js';
import { createProviderRegistry } from './providers/registry.js';
import { Hooks } from './core/hooks.js';
import { AccessLog } from './telemetry/access-log.js';
import { GatewayMetrics, type MetricsSources } from './telemetry/metrics.js';
import { shareMetricsWithPrimary } from './telemetry/cluster-metrics.js';
import { LiveRequests } from './telemetry/live-requests.js';
import { createResponseCache, createStore } from './store/create-store.js';
import type { Store } from './store/types.js';

const MEDIA_SWEEP_EVERY_MS = 3_600_000;
const CACHE_SWEEP_EVERY_MS = 600_000;

/** The pieces every way of serving shares: config → providers, prices, store → gateway core. */
export interface App {
  config: Config;
  gateway: GatewayCore;
  store: Store;
  logger: Logger;
  /** Policy events (budget thresholds, key changes) → webhooks. */
  events: WebhookSink;
  /** Budget counters, rate windows, breakers and idempotency records. */
  state: PolicyState;
  /** What policy does while that state is out of reach. */
  outage: StoreOutage;
  /** What the core tells about each request; telemetry subscribes here. */
  hooks: Hooks;
  /** Messages between the instances (Redis pub/sub), or within this one. */
  bus: NotificationBus;
  /** Crossed budget thresholds and changed keys, from every instance: what budget watchers hear. */
  budgetSignals: BudgetSignals;
  /** The Prometheus metrics, unless config turns them off. */
  metrics?: GatewayMetrics;
  /** Stops webhook retries, then closes the stores. */
  close(): Promise<void>;
}

export interface CreateAppOptions {
  config: Config;
  dataDir: string;
  logger?: Logger;
  /** The clock of budget periods, rate windows, breakers and ledger rows (tests move it). */
  clock?: () => Date;
  /** The router's backoff waits (tests record them). */
  sleep?: Sleep;
  /** Policy state to use instead of the one config names (the data folder's or Redis); the caller closes it. */
  state?: PolicyState;
  busy?: () => boolean;
}

export async function createApp(options: CreateAppOptions): Promise<App> {
  const logger = options.logger ?? createLogger(options.config.logLevel);
  const store = await createStore(options.config, options.dataDir, logger, options.busy ? { busy: options.busy } : {});
  const registry = createProviderRegistry(options.config);
  const events = createWebhookSink({ webhooks: options.config.webhooks, deliveries: store.webhooks, logger });
  const state = options.state ?? createPolicyState(options.config, { dataDir: options.dataDir, logger, ...(options.clock ? { now: options.clock().getTime() } : {}) });
  const outage = new StoreOutage(options.config.limits.onStoreOutage, logger);
  const bus = createNotificationBus(options.config, { dataDir: options.dataDir, logger });
  const budgetSignals = new BudgetSignals(bus, store, logger);
  const clock = options.clock;
  const hooks = new Hooks(logger);
  const live = new LiveRequests(clock ? () => clock().getTime() : Date.now);
  hooks.subscribe(live);
  const responseCache = createResponseCache(options.config, options.dataDir, logger);
  const telemetry = options.config.telemetry;
  if (telemetry.accessLog) hooks.subscribe(new AccessLog(logger));
  const gateway = createGateway({
    config: options.config,
    registry,
    pricing: createPricing(options.config),
    store,
    logger,
    events: {
      emit: (event) => {
        events.emit(event);
        budgetSignals.announce(event);
      },
    },
    state,
    outage,
    hooks,
    live,
    responseCache,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
  const metrics = telemetry.metrics ? new GatewayMetrics(telemetry, metricsSources(gateway)) : undefined;
  if (metrics) {
    hooks.subscribe(metrics);
    shareMetricsWithPrimary(metrics);
  }
  // Expired media go as new media are kept; this also clears them from a gateway that stopped making any.
  const sweepMedia = () =>
    gateway.sweepMedia().catch((error: unknown) => logger.error({ err: error }, 'expired images and audio could not be deleted'));
  void sweepMedia();
  const mediaSweeper = setInterval(sweepMedia, Math.min(options.config.server.mediaTtlMs, MEDIA_SWEEP_EVERY_MS));
  mediaSweeper.unref();
  const cacheSweeper = setInterval(() => {
    gateway.sweepCache().catch((error: unknown) => logger.warn({ err: error }, 'expired response-cache entries could not be deleted'));
  }, CACHE_SWEEP_EVERY_MS);
  cacheSweeper.unref();
  return {
    config: options.config,
    gateway,
    store,
    logger,
    events,
    state,
    outage,
    hooks,
    bus,
    budgetSignals,
    ...(metrics ? { metrics } : {}),
    close: async () => {
      clearInterval(mediaSweeper);
      clearInterval(cacheSweeper);
      await responseCache.close();
      await events.close();
      await budgetSignals.close();
      await bus.close();
      if (!options.state) await state.close();
      await store.close();
    },
  };
}

/** What the metrics read from the core at scrape time. */
function metricsSources(gateway: GatewayCore): MetricsSources {
  return {
    budgets: async () => (await gateway.watchedBudgets(undefined)).filter((budget) => budget.scope !== 'key'),
    circuitState: (model) => gateway.circuitState(model),
  };
}

const root = new URL('../', import.meta.url);

/** `llms.txt` at the package root: served at /llms.txt and as an MCP resource. */
export const llmsTxt = readFileSync(new URL('llms.txt', root), 'utf8');

export { version } from './version.js';
