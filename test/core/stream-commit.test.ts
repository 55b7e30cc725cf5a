import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { followCommitted, type StreamEnd, type StreamItemFacts } from '../../src/core/stream-commit.js';

const facts = (item: string): StreamItemFacts => ({ commit: true, terminal: item === 'END', text: item === 'END' ? '' : item });

/** A source that yields `items`, waiting `gapMs` before each; it never ends unless END is among them. */
async function* source(items: string[], gapMs: number, signal: AbortSignal): AsyncGenerator<string> {
  for (const item of items) {
    await sleep(gapMs, undefined, { signal });
    yield item;
  }
  await sleep(60_000, undefined, { signal });
}

function follow(items: string[], gapMs: number, idleTimeoutMs: number) {
  const controller = new AbortController();
  let end: StreamEnd | undefined;
  let cancelled = 0;
  const stream = followCommitted({ head: ['a'], source: source(items, gapMs, controller.signal), ttftMs: 1 }, facts, {
    idleTimeoutMs,
    errorItem: (error: GatewayError) => `ERROR:${error.kind}`,
    cancel: () => {
      cancelled += 1;
      controller.abort();
    },
    onEnd: (e) => {
      end = e;
    },
  });
  return { stream, end: () => end, cancelled: () => cancelled };
}

describe('followCommitted idle timeout', () => {
  it('cuts a stream whose upstream goes quiet, with an in-band timeout and the upstream cancelled', async () => {
    const run = follow(['b'], 5, 80);
    const seen: string[] = [];
    for await (const item of run.stream) seen.push(item);
    expect(seen).toEqual(['a', 'b', 'ERROR:upstream_timeout']);
    expect(run.end()).toMatchObject({ status: 'error', outputBytes: 2 });
    expect(run.end()?.error?.kind).toBe('upstream_timeout');
    expect(run.cancelled()).toBe(1);
  });

  it('does not count time the consumer spends between reads', async () => {
    const run = follow(['b', 'c', 'END'], 5, 80);
    const seen: string[] = [];
    for await (const item of run.stream) {
      seen.push(item);
      // A slow client: far longer than the idle timeout, while the upstream has items ready.
      await sleep(150);
    }
    expect(seen).toEqual(['a', 'b', 'c', 'END']);
    expect(run.end()).toMatchObject({ status: 'ok', outputBytes: 3 });
  });

  it('lets an upstream that keeps sending within the timeout run longer than the timeout in all', async () => {
    const run = follow(['b', 'c', 'd', 'e', 'f', 'END'], 30, 80);
    const seen: string[] = [];
    for await (const item of run.stream) seen.push(item);
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'END']);
    expect(run.end()?.status).toBe('ok');
    expect(run.cancelled()).toBe(0);
  });
});
