import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookConfig } from '../../../src/config/schema.js';
import type { PolicyEvent } from '../../../src/policy/types.js';
import { createWebhookSink, WebhookConfigError, type RetrySleep, type WebhookSinkOptions } from '../../../src/policy/webhooks/sink.js';
import { verifyWebhook } from '../../../src/policy/webhooks/verify.js';
import { openStore } from '../../support/store.js';
import type { Store } from '../../../src/store/types.js';
import { type Reply, startReceiver } from './receiver.js';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const secretBase64 = secret.slice('whsec_'.length);
const fastRetry = { attempts: 5, baseMs: 5, maxMs: 20 };
/** The sink's clock: event timestamps, signatures and rows read it. */
const NOW = new Date('2026-03-10T12:00:00.000Z');

const keyCreated: PolicyEvent = { type: 'key.created', data: { id: 'key_1', name: 'ci', prefix: 'tg_a1b2c3' } };
const budgetHit: PolicyEvent = {
  type: 'budget.threshold',
  data: { scope: 'user', scopeId: 'ana', threshold: 0.8, limitUsd: 10, spentUsd: 8.2, period: 'month', periodStart: '2025-01-01T00:00:00.000Z' },
};

let dataDir: string;
let store: Store;
let logLines: string[];
/** Every wait between attempts the sink asked for; none is waited. */
let waits: number[];
const recordingSleep: RetrySleep = async (ms, signal) => {
  waits.push(ms);
  return !signal.aborted;
};
const cleanups: Array<() => Promise<void> | void> = [];

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-webhooks-'));
  store = await openStore(dataDir);
  logLines = [];
  waits = [];
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function receiver(reply?: (index: number, path: string) => Reply) {
  const started = await startReceiver(reply);
  cleanups.push(started.close);
  return started;
}

function sink(webhooks: WebhookConfig[], options: Partial<WebhookSinkOptions> = {}) {
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logLines.push(chunk.toString());
        callback();
      },
    }),
  );
  const created = createWebhookSink({ webhooks, deliveries: store.webhooks, logger, retry: fastRetry, clock: () => NOW, sleep: recordingSleep, ...options });
  cleanups.push(() => created.close());
  return created;
}

describe('webhook sink', () => {
  it('POSTs the Standard Webhooks payload, signed per the spec, and records the delivery', async () => {
    const server = await receiver();
    const webhooks = sink([{ url: `${server.url}/hook`, secret }]);

    webhooks.emit(keyCreated);
    await webhooks.idle();

    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    expect(request!.path).toBe('/hook');
    expect(request!.headers['content-type']).toBe('application/json');
    const id = request!.headers['webhook-id'] as string;
    const timestamp = request!.headers['webhook-timestamp'] as string;
    expect(id).toMatch(/^msg_[A-Za-z0-9]+$/);
    expect(Number(timestamp)).toBe(NOW.getTime() / 1000);
    const expected = createHmac('sha256', Buffer.from(secretBase64, 'base64')).update(`${id}.${timestamp}.${request!.body}`).digest('base64');
    expect(request!.headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(verifyWebhook(secret, request!.headers, request!.body, { now: NOW })).toEqual({ ok: true, id, timestamp: Number(timestamp) });

    const payload = JSON.parse(request!.body) as { type: string; timestamp: string; data: unknown };
    expect(payload).toEqual({ type: 'key.created', timestamp: NOW.toISOString(), data: keyCreated.data });

    expect((await store.webhooks.listRecent())).toEqual([
      {
        id,
        ts: payload.timestamp,
        url: `${server.url}/hook`,
        eventType: 'key.created',
        payload: request!.body,
        status: 'delivered',
        attempts: 1,
        lastStatus: 200,
        lastError: null,
        deliveredAt: NOW.toISOString(),
      },
    ]);
  });

  it('retries after 500s with the same id, re-signed each attempt, until a 2xx', async () => {
    const server = await receiver((index) => (index < 2 ? 500 : 204));
    const webhooks = sink([{ url: server.url, secret }]);

    webhooks.emit(budgetHit);
    await webhooks.idle();

    expect(server.received).toHaveLength(3);
    const ids = new Set(server.received.map((request) => request.headers['webhook-id']));
    expect(ids.size).toBe(1);
    for (const request of server.received) expect(verifyWebhook(secret, request.headers, request.body, { now: NOW }).ok).toBe(true);
    expect((await store.webhooks.listRecent())).toMatchObject([{ status: 'delivered', attempts: 3, lastStatus: 204, lastError: null, eventType: 'budget.threshold' }]);
  });

  it('backs off exponentially between attempts, with jitter in the upper half of each step', async () => {
    const server = await receiver(() => 500);
    const webhooks = sink([{ url: server.url, secret }], { retry: { attempts: 4, baseMs: 40, maxMs: 1_000 } });

    webhooks.emit(keyCreated);
    await webhooks.idle();

    expect(server.received).toHaveLength(4);
    // Each wait lies in [d/2, d] for d = 40, 80, 160 ms.
    expect(waits).toHaveLength(3);
    waits.forEach((ms, index) => {
      const step = 40 * 2 ** index;
      expect(ms).toBeGreaterThanOrEqual(step / 2);
      expect(ms).toBeLessThanOrEqual(step);
    });
  });

  it("waits what the receiver's Retry-After asks, in seconds or as an HTTP date, up to the cap", async () => {
    const inFiveSeconds = new Date(NOW.getTime() + 5_000).toUTCString();
    const replies: Reply[] = [
      { status: 503, headers: { 'retry-after': '2' } },
      { status: 429, headers: { 'retry-after': inFiveSeconds } },
      { status: 503, headers: { 'retry-after': '3600' } },
      204,
    ];
    const server = await receiver((index) => replies[index] ?? 204);
    const webhooks = sink([{ url: server.url, secret }], { retry: { attempts: 5, baseMs: 10, maxMs: 60_000 } });

    webhooks.emit(keyCreated);
    await webhooks.idle();

    expect(waits).toEqual([2_000, 5_000, 60_000]);
    expect((await store.webhooks.listRecent())).toMatchObject([{ status: 'delivered', attempts: 4, lastStatus: 204 }]);
  });

  it('gives up after the configured attempts and marks the delivery failed', async () => {
    const server = await receiver(() => 503);
    const webhooks = sink([{ url: server.url, secret }], { retry: { attempts: 3, baseMs: 5, maxMs: 10 } });

    webhooks.emit(keyCreated);
    await webhooks.idle();

    expect(server.received).toHaveLength(3);
    expect((await store.webhooks.listRecent())).toMatchObject([{ status: 'failed', attempts: 3, lastStatus: 503, lastError: 'HTTP 503', deliveredAt: null }]);
    expect((await store.webhooks.listRecent({ status: 'failed' }))).toHaveLength(1);
    expect((await store.webhooks.listRecent({ status: 'delivered' }))).toHaveLength(0);
  });

  it('does not retry a 410 Gone, nor follow redirects', async () => {
    const gone = await receiver(() => 410);
    const moved = await receiver((_index, path) => (path === '/old' ? { status: 302, headers: { location: '/new' } } : 200));
    const webhooks = sink([
      { url: gone.url, secret },
      { url: `${moved.url}/old`, secret },
    ]);

    webhooks.emit(keyCreated);
    await webhooks.idle();

    expect(gone.received).toHaveLength(1);
    expect(moved.received.map((request) => request.path)).toEqual(['/old', '/old', '/old', '/old', '/old']);
    const rows = (await store.webhooks.listRecent());
    expect(rows.find((row) => row.url === gone.url)).toMatchObject({ status: 'failed', attempts: 1, lastStatus: 410 });
    expect(rows.find((row) => row.url.endsWith('/old'))).toMatchObject({ status: 'failed', attempts: 5, lastStatus: 302, lastError: 'HTTP 302 (redirects are not followed)' });
  });

  it('sends each event only to webhooks subscribed to its type', async () => {
    const server = await receiver();
    const webhooks = sink([
      { url: `${server.url}/budgets`, secret, events: ['budget.threshold'] },
      { url: `${server.url}/keys`, secret, events: ['key.*'] },
      { url: `${server.url}/all`, secret },
      { url: `${server.url}/revocations`, secret, events: ['key.revoked'] },
    ]);

    webhooks.emit(keyCreated);
    await webhooks.idle();

    expect(server.received.map((request) => request.path).sort()).toEqual(['/all', '/keys']);
    expect((await store.webhooks.listRecent()).map((row) => new URL(row.url).pathname).sort()).toEqual(['/all', '/keys']);

    webhooks.emit(budgetHit);
    await webhooks.idle();
    expect(server.received.slice(2).map((request) => request.path).sort()).toEqual(['/all', '/budgets']);
  });

  it('returns from emit at once while the receiver hangs; each attempt is cut by the timeout', async () => {
    const server = await receiver(() => 'hang');
    const webhooks = sink([{ url: server.url, secret }], { fetchTimeoutMs: 150, retry: { attempts: 2, baseMs: 5, maxMs: 10 } });

    // emit only writes the pending row: the delivery has not been tried when it returns.
    webhooks.emit(keyCreated);
    expect((await store.webhooks.listRecent())).toMatchObject([{ status: 'pending', attempts: 0 }]);

    await webhooks.idle();
    expect(server.received).toHaveLength(2);
    expect((await store.webhooks.listRecent())).toMatchObject([{ status: 'failed', attempts: 2, lastStatus: null, lastError: 'timed out after 150 ms' }]);
  });

  it('records a connection failure as the error and never throws from emit, even when the store is gone', async () => {
    const server = await receiver();
    const url = server.url;
    await server.close();
    const webhooks = sink([{ url, secret }], { retry: { attempts: 2, baseMs: 5, maxMs: 10 } });

    webhooks.emit(keyCreated);
    await webhooks.idle();
    expect((await store.webhooks.listRecent())).toMatchObject([{ status: 'failed', attempts: 2, lastStatus: null, lastError: expect.stringContaining('ECONNREFUSED') }]);

    await store.close();
    expect(() => webhooks.emit(keyCreated)).not.toThrow();
    await webhooks.idle();
    store = await openStore(dataDir);
    expect(logLines.some((line) => line.includes('webhook delivery row could not be written'))).toBe(true);
  });

  it('records deliveries beyond the queue cap as failed, with the reason, without sending them', async () => {
    const server = await receiver(() => 'hang');
    const webhooks = sink([{ url: server.url, secret }], { maxQueued: 2, fetchTimeoutMs: 200, retry: { attempts: 1, baseMs: 5, maxMs: 10 } });

    webhooks.emit(keyCreated);
    webhooks.emit(keyCreated);
    webhooks.emit(keyCreated);

    await webhooks.idle();
    const rows = await store.webhooks.listRecent();
    expect(rows.filter((row) => row.attempts === 1)).toHaveLength(2);
    expect(rows.filter((row) => row.attempts === 0)).toMatchObject([{ status: 'failed', lastError: 'not sent: delivery queue full (2 pending)' }]);
    expect(server.received).toHaveLength(2);
  });

  it('on close, stops waiting retries and marks them failed', async () => {
    const server = await receiver(() => 500);
    let asked!: (ms: number) => void;
    const waitAsked = new Promise<number>((resolve) => (asked = resolve));
    // A wait that only the sink's close ends.
    const untilClosed: RetrySleep = (ms, signal) => {
      asked(ms);
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(false), { once: true }));
    };
    const webhooks = sink([{ url: server.url, secret }], { retry: { attempts: 5, baseMs: 60_000, maxMs: 60_000 }, sleep: untilClosed });

    webhooks.emit(keyCreated);
    expect(await waitAsked).toBeGreaterThanOrEqual(30_000);
    await webhooks.close();

    expect(server.received).toHaveLength(1);
    expect((await store.webhooks.listRecent())).toMatchObject([{ status: 'failed', attempts: 1, lastError: 'HTTP 500; not retried: gateway shut down' }]);
    webhooks.emit(keyCreated);
    expect((await store.webhooks.listRecent())).toHaveLength(1);
  });

  it('on close, cuts an attempt still on the wire after the grace period', async () => {
    const server = await receiver(() => 'hang');
    const webhooks = sink([{ url: server.url, secret }], { fetchTimeoutMs: 30_000, closeGraceMs: 100 });

    webhooks.emit(keyCreated);
    await server.arrived(1);
    await webhooks.close();

    expect((await store.webhooks.listRecent())).toMatchObject([{ status: 'failed', attempts: 1, lastError: 'aborted: shutting down' }]);
  });

  it('never writes the secret into delivery rows or logs', async () => {
    const server = await receiver((index) => (index % 2 === 0 ? 500 : 200));
    const webhooks = sink([
      { url: server.url, secret },
      { url: 'http://127.0.0.1:1/unreachable', secret },
    ], { retry: { attempts: 2, baseMs: 5, maxMs: 10 } });

    webhooks.emit(keyCreated);
    webhooks.emit(budgetHit);
    await webhooks.idle();

    const rows = JSON.stringify((await store.webhooks.listRecent()));
    const logs = logLines.join('\n');
    expect(rows).toContain('delivered');
    expect(logs).toContain('webhook delivery');
    for (const text of [rows, logs]) {
      expect(text).not.toContain(secretBase64);
      expect(text).not.toContain(secret);
    }
  });

  it('rejects a secret not of the form whsec_<base64> without quoting it', () => {
    const bad = 'my-plain-password-1234567890';
    expect(() => sink([{ url: 'http://127.0.0.1:9/hook', secret: bad }])).toThrow(WebhookConfigError);
    try {
      sink([{ url: 'http://127.0.0.1:9/hook', secret: bad }]);
    } catch (error) {
      expect((error as Error).message).toBe('webhooks.0.secret: a webhook secret must start with "whsec_"');
    }
  });

  it('warns about subscriptions to event types that are never sent', () => {
    sink([{ url: 'http://127.0.0.1:9/hook', secret, events: ['key.created', 'budget.exceeded'] }]);
    expect(logLines.some((line) => line.includes('budget.exceeded') && line.includes('never sent'))).toBe(true);
  });
});
