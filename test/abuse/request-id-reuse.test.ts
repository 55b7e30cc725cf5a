/**
 * The ledger's row id is the client's `x-request-id` when it sends one, so a client can send
 * the same id again, on purpose or not. That must neither lose the repeat's spend nor (rows
 * are committed in batches) the rows of other clients' requests committed with it.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startGateway({ mockPricing: true });
});
afterAll(() => gateway?.close());

async function chat(requestId: string, content: string): Promise<number> {
  const response = await request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ model: 'mock/echo', max_tokens: 8, messages: [{ role: 'user', content }] }),
    signal: AbortSignal.timeout(10_000),
  });
  await response.body.dump();
  return response.statusCode;
}

describe('a repeated x-request-id', () => {
  it('keeps every request’s ledger row, the repeats’ and the innocent ones’ committed in the same batch', async () => {
    const reused = `reused-${randomUUID()}`;
    const innocent = Array.from({ length: 10 }, () => `innocent-${randomUUID()}`);
    // Concurrent, so the repeats and the others land in the same batched commits.
    const statuses = await Promise.all([
      ...Array.from({ length: 10 }, (_, n) => chat(reused, `repeat ${n}`)),
      ...innocent.map((id, n) => chat(id, `other ${n}`)),
      // Then a model the core refuses: its row is kept too.
    ]);
    expect(statuses.every((status) => status === 200)).toBe(true);
    const rows = await gateway.ledger.requests();
    const ids = rows.map((row) => row.id);
    for (const id of innocent) expect(ids).toContain(id);
    const repeats = rows.filter((row) => row.id === reused || row.id.startsWith(`${reused}~`));
    expect(repeats).toHaveLength(10);
    // The spend of every repeat is counted, with its attempts.
    expect(repeats.every((row) => row.costNanos !== null && row.costNanos > 0)).toBe(true);
    for (const row of repeats) expect(await gateway.ledger.attempts(row.id)).toHaveLength(row.attempts);
  });
});
