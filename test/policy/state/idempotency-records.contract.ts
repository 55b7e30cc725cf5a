/**
 * The idempotency records contract, run on every backend with a fake clock: one request per key
 * at a time across instances, the kept answer replayed byte for byte until it expires, and a
 * marker left by a process that died freed after its deadline.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { StoredAnswer } from '../../../src/policy/state/types.js';
import type { Backend } from './backends.js';

const DAY_MS = 24 * 3_600_000;
const IN_FLIGHT_MS = 600_000;
const KEY = 'k_1\u0000/v1/chat/completions\u0000order-123';

/** A body that is not valid UTF-8, so a store that kept text instead of bytes would change it. */
const answer: StoredAnswer = {
  status: 200,
  headers: { 'content-type': 'application/octet-stream', 'x-tollgate-model': 'up/m', 'set-cookie': ['a=1', 'b=2'] },
  body: Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x80, 0x7d]),
};

export function idempotencyRecordsContract(makeBackend: () => Backend): void {
  let backend: Backend;
  let now: number;

  beforeEach(() => {
    backend = makeBackend();
    now = Date.parse('2026-03-10T12:00:00.000Z');
  });
  afterEach(async () => {
    await backend.close();
  });

  it('claims a key for one request at a time, across instances; the kept answer is replayed byte for byte', async () => {
    const one = backend.instance().idempotency;
    const two = backend.instance().idempotency;
    const claims = await Promise.all(Array.from({ length: 10 }, (_, index) => (index % 2 ? one : two).claim(KEY, `t${index}`, now, now + IN_FLIGHT_MS)));
    expect(claims.filter((claim) => claim.kind === 'claimed')).toHaveLength(1);
    expect(claims.filter((claim) => claim.kind === 'in-flight')).toHaveLength(9);
    const winner = `t${claims.findIndex((claim) => claim.kind === 'claimed')}`;

    await one.finish(KEY, winner, now, { answer, bytes: 100, expiresAt: now + DAY_MS });
    const replay = await two.claim(KEY, 'later', now + 1_000, now + IN_FLIGHT_MS);
    expect(replay).toEqual({ kind: 'replay', answer });
    expect(replay.kind === 'replay' && replay.answer.body.equals(answer.body)).toBe(true);
    // Another key is another request.
    expect(await two.claim(`${KEY}-2`, 'other', now, now + IN_FLIGHT_MS)).toEqual({ kind: 'claimed' });
  });

  it('an answer not kept frees the key: the retry really runs', async () => {
    const records = backend.instance().idempotency;
    expect(await records.claim(KEY, 'first', now, now + IN_FLIGHT_MS)).toEqual({ kind: 'claimed' });
    await records.finish(KEY, 'first', now, null);
    expect(await records.claim(KEY, 'retry', now, now + IN_FLIGHT_MS)).toEqual({ kind: 'claimed' });
  });

  it('a kept answer expires at its time; then the key runs again', async () => {
    const records = backend.instance().idempotency;
    await records.claim(KEY, 'first', now, now + IN_FLIGHT_MS);
    await records.finish(KEY, 'first', now, { answer, bytes: 100, expiresAt: now + DAY_MS });
    now += DAY_MS - 1;
    expect((await records.claim(KEY, 'late', now, now + IN_FLIGHT_MS)).kind).toBe('replay');
    now += 1;
    expect(await records.claim(KEY, 'after', now, now + IN_FLIGHT_MS)).toEqual({ kind: 'claimed' });
  });

  it('the marker of a process that died is freed after its deadline, and its late finish does not clear a newer claim', async () => {
    const doomed = backend.instance().idempotency;
    const survivor = backend.instance().idempotency;
    await doomed.claim(KEY, 'doomed', now, now + IN_FLIGHT_MS);
    now += IN_FLIGHT_MS - 1;
    expect(await survivor.claim(KEY, 'early', now, now + IN_FLIGHT_MS)).toEqual({ kind: 'in-flight' });
    now += 1;
    expect(await survivor.claim(KEY, 'survivor', now, now + IN_FLIGHT_MS)).toEqual({ kind: 'claimed' });
    await doomed.finish(KEY, 'doomed', now, null);
    expect(await survivor.claim(KEY, 'third', now, now + IN_FLIGHT_MS)).toEqual({ kind: 'in-flight' });
  });
}
