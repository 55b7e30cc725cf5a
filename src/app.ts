import { readFileSync } from 'node:fs';
import type { Config } from './config/schema.js';
import { createGateway, type GatewayCore } from './core/gateway.js';
import { createPricing } from './core/pricing.js';
import { createLogger, type Logger } from './logger.js';
import { createWebhookSink, type WebhookSink } from './policy/webhooks/index.js';
import { createProviderRegistry } from './providers/registry.js';
import { openSqliteStore } from './store/sqlite/sqlite-store.js';
import type { Store } from './store/types.js';

const MEDIA_SWEEP_EVERY_MS = 3_600_000;

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
  const gateway = createGateway({
    config: options.config,
    registry,
    pricing: createPricing(options.config),
    store,
    logger,
    events,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  // Expired media go as new media are kept; this also clears them from a gateway that stopped making any.
  const sweepMedia = () => {
    try {
      gateway.sweepMedia();
    } catch (error) {
      logger.error({ err: error }, 'expired images and audio could not be deleted');
    }
  };
  sweepMedia();
  const mediaSweeper = setInterval(sweepMedia, Math.min(options.config.server.mediaTtlMs, MEDIA_SWEEP_EVERY_MS));
  mediaSweeper.unref();
  return {
    config: options.config,
    gateway,
    store,
    logger,
    events,
    close: async () => {
      clearInterval(mediaSweeper);
      await events.close();
      store.close();
    },
  };
}

const root = new URL('../', import.meta.url);

/** `llms.txt` at the package root: served at /llms.txt and as an MCP resource. */
export const llmsTxt = readFileSync(new URL('llms.txt', root), 'utf8');

export { version } from './version.js';
