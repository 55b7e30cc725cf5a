import { readFileSync } from 'node:fs';
import type { Config } from './config/schema.js';
import { createGateway, type GatewayCore } from './core/gateway.js';
import { createPricing } from './core/pricing.js';
import { createLogger, type Logger } from './logger.js';
import { createWebhookSink, type WebhookSink } from './policy/webhooks/index.js';
import { createProviderRegistry } from './providers/registry.js';
import { LiveRequests } from './telemetry/live-requests.js';
import { openSqliteStore } from './store/sqlite/sqlite-store.js';
import type { Store } from './store/types.js';

/** The pieces every way of serving shares: config → providers, prices, store → gateway core. */
export interface App {
  config: Config;
  gateway: GatewayCore;
  store: Store;
  logger: Logger;
  /** Policy events (budget thresholds, key changes) → webhooks. */
  events: WebhookSink;
  /** Stops webhook retries, then closes the store. */
  close(): Promise<void>;
}

export function createApp(options: { config: Config; dataDir: string; logger?: Logger; clock?: () => Date; busy?: () => boolean }): App {
  const logger = options.logger ?? createLogger(options.config.logLevel);
  const store = openSqliteStore(options.dataDir, {
    onWriteError: (error) => logger.error({ err: error }, 'ledger rows could not be written'),
    ...(options.busy ? { busy: options.busy } : {}),
  });
  const registry = createProviderRegistry(options.config);
  const events = createWebhookSink({ webhooks: options.config.webhooks, deliveries: store.webhooks, logger });
  const clock = options.clock;
  const live = new LiveRequests(clock ? () => clock().getTime() : Date.now);
  const gateway = createGateway({
    config: options.config,
    registry,
    pricing: createPricing(options.config),
    store,
    logger,
    events,
    observer: live,
    live,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    config: options.config,
    gateway,
    store,
    logger,
    events,
    close: async () => {
      await events.close();
      store.close();
    },
  };
}

const root = new URL('../', import.meta.url);

/** `llms.txt` at the package root: served at /llms.txt and as an MCP resource. */
export const llmsTxt = readFileSync(new URL('llms.txt', root), 'utf8');

export { version } from './version.js';
