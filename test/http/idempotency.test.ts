/**
 * The Idempotency-Key cache on a real HTTP server: its byte budget counts whole entries (key,
 * headers, body, bookkeeping), so a flood of unique keys with tiny answers stays within it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyCache } from '../../src/http/idempotency.js';
import { ObservedResponse } from '../../src/http/observed-response.js';
import { MemoryIdempotencyRecords } from '../../src/policy/state/memory/idempotency-records.js';
import { StoreOutage } from '../../src/policy/state/outage.js';

const MAX_BYTES = 32 * 1024;
const KEY_LENGTH = 250;
let now = 0;
let cache: IdempotencyCache;
let server: Server;
let url: string;
let agent: Agent;
let handled = 0;

beforeAll(async () => {
  cache = new IdempotencyCache(new MemoryIdempotencyRecords(MAX_BYTES), new StoreOutage('deny', undefined), { ttlMs: 60_000 }, () => now);
  server = createServer({ ServerResponse: ObservedResponse }, async (req, res) => {
    const key = IdempotencyCache.keyOf(req.headers['idempotency-key'], 'caller', req.url ?? '/');
    if (key) {
      if (await cache.replay(key, res)) return;
      cache.record(key, res);
    }
    req.resume();
    handled += 1;
    // A small answer, as a refusal or an empty result would be.
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/x`;
  agent = new Agent({ connections: 4 });
});
afterAll(async () => {
  await agent.close();
  await new Promise((resolve) => server.close(resolve));
});

async function post(key: string): Promise<boolean> {
  const response = await request(url, { method: 'POST', dispatcher: agent, headers: { 'idempotency-key': key }, body: '{}' });
  await response.body.text();
  expect(response.statusCode).toBe(200);
  return response.headers['idempotent-replayed'] === 'true';
}

const keyOf = (index: number) => `${String(index).padStart(6, '0')}`.padEnd(KEY_LENGTH, 'k');

describe('IdempotencyCache byte budget', () => {
  it('counts the key and headers of each entry, not only its body: 400 unique keys with 2-byte answers stay within the budget', async () => {
    for (let index = 0; index < 400; index++) expect(await post(keyOf(index))).toBe(false);
    const handledBefore = handled;
    let replayed = 0;
    // Newest first, so a replay miss (which records again) cannot push out entries still to check.
    for (let index = 399; index >= 0; index--) if (await post(keyOf(index))) replayed += 1;
    // Every kept entry holds at least its key: the budget bounds how many there can be.
    expect(replayed).toBeGreaterThan(0);
    expect(replayed * KEY_LENGTH).toBeLessThanOrEqual(MAX_BYTES);
    expect(handled - handledBefore).toBe(400 - replayed);
  });

  it('lets an entry go once its time is up', async () => {
    expect(await post('short-lived')).toBe(false);
    expect(await post('short-lived')).toBe(true);
    now += 60_001;
    expect(await post('short-lived')).toBe(false);
  });
});
