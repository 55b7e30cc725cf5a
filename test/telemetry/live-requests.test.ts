/**
 * The live view's tracker on a fake clock: requests in flight from requestReceived to settled, the
 * one-minute ring of completions, errors and cost, and what each caller's scope lets it see.
 */
import { describe, expect, it } from 'vitest';
import type { RequestReceived, RequestSettled } from '../../src/core/hooks.js';
import type { RequestRow } from '../../src/store/types.js';
import { LiveRequests } from '../../src/telemetry/live-requests.js';
import { requestRow } from '../store/contract/rows.js';

const T0 = Date.parse('2026-11-01T12:00:00.000Z');

function clock() {
  let now = T0;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function started(requestId: string, fields: Partial<RequestReceived> = {}): RequestReceived {
  return { requestId, face: 'openai', operation: 'chat', stream: false, model: 'mock/echo', keyId: null, keyName: null, user: null, ...fields };
}

function settled(id: string, fields: Partial<RequestRow> = {}): RequestSettled {
  return { request: row(id, fields), attempts: [] };
}

const row = (id: string, fields: Partial<RequestRow> = {}): RequestRow =>
  requestRow({ id, ts: new Date(T0).toISOString(), usage: { input: 1, cacheRead: 0, cacheWrite: 0, output: 1, reasoning: 0 }, ...fields });

const all = { kind: 'all' } as const;

describe('LiveRequests', () => {
  it('lists a request from received until settled, oldest first, with how long it has run', () => {
    const time = clock();
    const live = new LiveRequests(time.now);
    live.requestReceived(started('a', { model: 'openai/gpt-4o', stream: true, keyName: 'ci', user: 'alice' }));
    time.advance(1500);
    live.requestReceived(started('b'));
    time.advance(500);

    const running = live.snapshot(all).inFlight;
    expect(running.map((request) => [request.id, request.elapsedMs])).toEqual([
      ['a', 2000],
      ['b', 500],
    ]);
    expect(running[0]).toEqual({
      id: 'a',
      face: 'openai',
      operation: 'chat',
      stream: true,
      model: 'openai/gpt-4o',
      keyName: 'ci',
      user: 'alice',
      startedAt: '2026-11-01T12:00:00.000Z',
      elapsedMs: 2000,
    });
    // The key id is for scoping, not for showing.
    expect(running[0]).not.toHaveProperty('keyId');

    live.settled(settled('a'));
    expect(live.snapshot(all).inFlight.map((request) => request.id)).toEqual(['b']);
  });

  it('counts the last minute per second: requests, errors, cancellations and known cost', () => {
    const time = clock();
    const live = new LiveRequests(time.now);
    live.settled(settled('1', { costNanos: 1_000 }));
    live.settled(settled('2', { status: 'error', errorKind: 'upstream_timeout', costNanos: null }));
    time.advance(30_000);
    live.settled(settled('3', { status: 'cancelled', errorKind: 'client_closed', costNanos: 250 }));

    const minute = live.snapshot(all).lastMinute;
    expect(minute).toMatchObject({ requests: 3, errors: 1, cancelled: 1, costNanos: 1_250 });
    expect(minute.seconds).toHaveLength(60);
    expect(minute.seconds.at(-1)).toEqual({ start: '2026-11-01T12:00:30.000Z', requests: 1, errors: 0 });
    expect(minute.seconds.at(-31)).toEqual({ start: '2026-11-01T12:00:00.000Z', requests: 2, errors: 1 });
    expect(minute.seconds.filter((second) => second.requests > 0)).toHaveLength(2);
  });

  it('forgets a second once it is more than a minute old, also when its bucket is reused', () => {
    const time = clock();
    const live = new LiveRequests(time.now);
    live.settled(settled('old', { costNanos: 7 }));
    time.advance(59_999);
    expect(live.snapshot(all).lastMinute.requests).toBe(1);
    time.advance(1);
    expect(live.snapshot(all).lastMinute).toMatchObject({ requests: 0, costNanos: 0 });
    // Sixty seconds later the same ring slot takes the new second's counts, not old plus new.
    live.settled(settled('new', { costNanos: 3 }));
    expect(live.snapshot(all).lastMinute).toMatchObject({ requests: 1, costNanos: 3 });
    expect(live.snapshot(all).lastMinute.seconds.at(-1)).toMatchObject({ start: '2026-11-01T12:01:00.000Z', requests: 1 });
  });

  it('shows a key only its own requests, a user only theirs, and the admin everything', () => {
    const live = new LiveRequests(clock().now);
    live.requestReceived(started('mine', { keyId: 'k1', keyName: 'ci' }));
    live.requestReceived(started('theirs', { keyId: 'k2', keyName: 'web', user: 'bob' }));
    live.settled(settled('done-mine', { keyId: 'k1', costNanos: 10 }));
    live.settled(settled('done-theirs', { keyId: 'k2', user: 'bob', status: 'error', costNanos: 20 }));

    const mine = live.snapshot({ kind: 'key', keyId: 'k1' });
    expect(mine.inFlight.map((request) => request.id)).toEqual(['mine']);
    expect(mine.lastMinute).toMatchObject({ requests: 1, errors: 0, costNanos: 10 });

    const bob = live.snapshot({ kind: 'user', user: 'bob' });
    expect(bob.inFlight.map((request) => request.id)).toEqual(['theirs']);
    expect(bob.lastMinute).toMatchObject({ requests: 1, errors: 1, costNanos: 20 });

    // A caller that cannot be pinned to rows (empty key id) sees nothing.
    expect(live.snapshot({ kind: 'key', keyId: '' })).toMatchObject({ inFlight: [], lastMinute: { requests: 0 } });
    expect(live.snapshot(all).inFlight).toHaveLength(2);
    expect(live.snapshot(all).lastMinute).toMatchObject({ requests: 2, errors: 1, costNanos: 30 });
  });

  it('keeps two requests that share a client-sent id apart', () => {
    const live = new LiveRequests(clock().now);
    live.requestReceived(started('same'));
    live.requestReceived(started('same'));
    live.settled(settled('same'));
    expect(live.snapshot(all).inFlight).toHaveLength(1);
    live.settled(settled('same'));
    expect(live.snapshot(all).inFlight).toHaveLength(0);
    // A settlement with nothing in flight (never received here) only counts.
    live.settled(settled('stranger'));
    expect(live.snapshot(all)).toMatchObject({ inFlight: [], lastMinute: { requests: 3 } });
  });

  it('forgets the oldest in-flight entries past ten thousand, so a lost settlement cannot grow it for ever', () => {
    const live = new LiveRequests(clock().now);
    for (let index = 0; index < 10_005; index++) live.requestReceived(started(`r${index}`));
    const running = live.snapshot(all).inFlight;
    expect(running).toHaveLength(10_000);
    expect(running.some((request) => request.id === 'r0')).toBe(false);
    expect(running.some((request) => request.id === 'r10004')).toBe(true);
  });
});
