import { describe, expect, it } from 'vitest';
import { memoryBackend, onEveryBackend } from './backends.js';
import { idempotencyRecordsContract } from './idempotency-records.contract.js';

// A data home keeps idempotency records in each process's memory: the memory run covers it.
onEveryBackend('idempotency records', idempotencyRecordsContract, { dataHome: false });

describe('idempotency records: memory byte budget', () => {
  it('counts each entry whole and lets the oldest go first when the budget is full', async () => {
    const records = memoryBackend({ idempotencyMaxBytes: 250 }).instance().idempotency;
    const now = 0;
    const keep = async (key: string, bytes: number) => {
      await records.claim(key, key, now, now + 1_000);
      await records.finish(key, key, now, { answer: { status: 200, headers: {}, body: Buffer.from(key) }, bytes, expiresAt: now + 1_000 });
    };
    await keep('a', 100);
    await keep('b', 100);
    await keep('c', 100);
    expect((await records.claim('a', 'x', now, now + 1_000)).kind).toBe('claimed');
    expect((await records.claim('b', 'x', now, now + 1_000)).kind).toBe('replay');
    expect((await records.claim('c', 'x', now, now + 1_000)).kind).toBe('replay');
    // An entry larger than the whole budget is not kept at all.
    await keep('d', 251);
    expect((await records.claim('d', 'y', now, now + 1_000)).kind).toBe('claimed');
  });
});
