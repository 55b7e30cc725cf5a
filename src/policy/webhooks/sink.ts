import { Agent } from '../../http/undici.js';
import { redactorOf, type Redact } from '../../core/redact.js';
import type { WebhookConfig } from '../../config/schema.js';
import type { Logger } from '../../logger.js';
import type { WebhookDeliveryStore } from '../../store/types.js';
import type { EventSink, PolicyEvent } from '../types.js';
import { defaultRetryPolicy, retryDelayMs, type RetryPolicy } from './backoff.js';
import { attemptDelivery } from './deliver.js';
import { eventMatches, unknownEventPatterns } from './events.js';
import { validateWebhookSecret } from './secret.js';
import { newWebhookId, webhookHeaders } from './sign.js';

export interface WebhookSinkOptions {
  webhooks: WebhookConfig[];
  deliveries: WebhookDeliveryStore;
  logger: Pick<Logger, 'warn' | 'error' | 'debug'>;
  /** Per attempt, connection to last body byte; the spec suggests 15–30 s. */
  fetchTimeoutMs?: number;
  retry?: RetryPolicy;
  /** Deliveries in flight or waiting to retry; beyond it new ones are recorded as failed. */
  maxQueued?: number;
  /** On close, how long an attempt already on the wire may finish before it is cut. */
  closeGraceMs?: number;
  /** Event timestamps, signatures and delivery rows follow it (tests fix it). */
  clock?: () => Date;
  /** The wait between attempts (tests record it instead of waiting). */
  sleep?: RetrySleep;
}

/** Waits `ms`; resolves false, at once, when `signal` aborts (the sink is closing). */
export type RetrySleep = (ms: number, signal: AbortSignal) => Promise<boolean>;

export interface WebhookSink extends EventSink {
  /** Resolves once no delivery is in flight or waiting to retry. */
  idle(): Promise<void>;
  /** Stops retries, gives attempts on the wire a short grace, marks the rest failed. */
  close(): Promise<void>;
}

/** Where an invalid webhook config is reported; the message never quotes the secret. */
export class WebhookConfigError extends Error {
  override name = 'WebhookConfigError';
}

interface Endpoint {
  url: string;
  /** Origin only in logs: some receivers (chat hooks) put a token in the path. */
  origin: string;
  key: Buffer;
  secret: string;
  events: string[] | undefined;
}

interface Delivery {
  id: string;
  endpoint: Endpoint;
  eventType: string;
  body: string;
}

/**
 * Sends policy events to the configured webhooks, signed per Standard Webhooks. `emit` only
 * writes a pending row and starts a background task: a slow or dead receiver never delays the
 * request that raised the event, and every outcome lands in `webhook_deliveries`.
 */
export function createWebhookSink(options: WebhookSinkOptions): WebhookSink {
  const { deliveries, logger } = options;
  const timeoutMs = options.fetchTimeoutMs ?? 15_000;
  const retry = options.retry ?? defaultRetryPolicy;
  const maxQueued = options.maxQueued ?? 1_000;
  const closeGraceMs = Math.min(options.closeGraceMs ?? 2_000, timeoutMs);
  const clock = options.clock ?? (() => new Date());
  const sleep = options.sleep ?? unrefSleep;
  const endpoints = options.webhooks.map(toEndpoint);
  const scrub = secretScrubber(endpoints);

  // Our own pool: shutdown can drop its sockets without touching the providers' pool.
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });
  const stopWaiting = new AbortController();
  const cutAttempts = new AbortController();
  const active = new Set<Promise<void>>();
  /** Deliveries past the queue's limit, being written down as failed. */
  const overflowing = new Set<Promise<void>>();
  let closing = false;

  for (const endpoint of endpoints) {
    const unknown = unknownEventPatterns(endpoint.events);
    if (unknown.length) logger.warn({ endpoint: endpoint.origin, unknown }, 'webhook subscribes to event types that are never sent');
  }

  const store = async (what: string, write: () => Promise<void>): Promise<boolean> => {
    try {
      await write();
      return true;
    } catch (error) {
      logger.error({ err: scrub(String(error)), what }, 'webhook delivery row could not be written');
      return false;
    }
  };

  async function run(delivery: Delivery, ts: string, overflow: boolean): Promise<void> {
    const { id, endpoint } = delivery;
    if (!(await store('pending', () => deliveries.insertPending({ id, ts, url: endpoint.url, eventType: delivery.eventType, payload: delivery.body })))) return;
    if (overflow) {
      await store('overflow', () => deliveries.markFailed(id, `not sent: delivery queue full (${maxQueued} pending)`));
      logger.warn({ deliveryId: id, eventType: delivery.eventType, endpoint: endpoint.origin }, 'webhook delivery queue full');
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const outcome = await attemptDelivery({
        url: endpoint.url,
        body: delivery.body,
        headers: webhookHeaders(endpoint.key, id, delivery.body, clock()),
        timeoutMs,
        dispatcher: agent,
        signal: cutAttempts.signal,
        now: () => clock().getTime(),
      });
      const at = clock().toISOString();
      if (outcome.ok) {
        await store('delivered', () => deliveries.recordAttempt(id, { status: 'delivered', httpStatus: outcome.status, error: null, at }));
        return;
      }
      const error = scrub(outcome.error, MAX_ERROR_CHARS);
      const last = attempt >= retry.attempts || !outcome.retryable || closing;
      await store('attempt', () => deliveries.recordAttempt(id, { status: last ? 'failed' : 'pending', httpStatus: outcome.status, error, at }));
      const context = { deliveryId: id, eventType: delivery.eventType, endpoint: endpoint.origin, attempt, status: outcome.status, error };
      if (last) {
        logger.warn(context, 'webhook delivery failed; giving up');
        return;
      }
      logger.debug(context, 'webhook delivery attempt failed; will retry');
      const waited = await sleep(retryDelayMs(attempt, retry, outcome.retryAfterMs), stopWaiting.signal);
      if (!waited) {
        await store('shutdown', () => deliveries.markFailed(id, `${error}; not retried: gateway shut down`));
        return;
      }
    }
  }

  function start(delivery: Delivery, ts: string): void {
    // Past the queue's limit, the delivery is only written down, as failed.
    const overflow = active.size >= maxQueued;
    const tasks = overflow ? overflowing : active;
    const task = run(delivery, ts, overflow)
      .catch((error: unknown) => logger.error({ deliveryId: delivery.id, err: scrub(String(error)) }, 'webhook delivery crashed'))
      .finally(() => tasks.delete(task));
    tasks.add(task);
  }

  function emit(event: PolicyEvent): void {
    try {
      const matching = endpoints.filter((endpoint) => eventMatches(endpoint.events, event.type));
      if (matching.length === 0) return;
      if (closing) {
        logger.warn({ eventType: event.type }, 'webhook event dropped: sink is closed');
        return;
      }
      const ts = clock().toISOString();
      const body = JSON.stringify({ type: event.type, timestamp: ts, data: event.data });
      for (const endpoint of matching) {
        start({ id: newWebhookId(), endpoint, eventType: event.type, body }, ts);
      }
    } catch (error) {
      // An event is a side effect of a request; it must never fail the request.
      logger.error({ eventType: event.type, err: scrub(String(error)) }, 'webhook emit failed');
    }
  }

  async function idle(): Promise<void> {
    while (active.size || overflowing.size) await Promise.allSettled([...active, ...overflowing]);
  }

  async function close(): Promise<void> {
    if (closing) return idle();
    closing = true;
    stopWaiting.abort();
    const grace = setTimeout(() => cutAttempts.abort(), closeGraceMs);
    await idle();
    clearTimeout(grace);
    await agent.close().catch(() => undefined);
  }

  return { emit, idle, close };
}

function toEndpoint(webhook: WebhookConfig, index: number): Endpoint {
  const checked = validateWebhookSecret(webhook.secret);
  if (!checked.ok) throw new WebhookConfigError(`webhooks.${index}.secret: ${checked.reason}`);
  return { url: webhook.url, origin: new URL(webhook.url).origin, key: checked.key, secret: webhook.secret, events: webhook.events };
}

/** The most of a delivery's error text that is kept. */
const MAX_ERROR_CHARS = 500;

/** Belt and braces: an error text that somehow quotes a secret is cleaned (then cut) before it is kept. */
function secretScrubber(endpoints: Endpoint[]): Redact {
  return redactorOf(endpoints.flatMap((endpoint) => [endpoint.secret, endpoint.secret.slice('whsec_'.length)]).filter((secret) => secret.length >= 6));
}

/** False when cut short by the signal. Unref'd: a pending retry alone does not keep Node alive. */
const unrefSleep: RetrySleep = (ms, signal) => {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
};
