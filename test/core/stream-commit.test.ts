import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { followCommitted, type StreamEnd, type StreamItemFacts } from '../../src/core/stream-commit.js';

/**
 * The idle timeout of a committed stream, on fake timers: the tests move time and assert where
 * the cut falls, and nothing waits.
 */
const facts = (item: string): StreamItemFacts => ({ commit: true, terminal: item === 'END', text: item === 'END' ? '' : item });

const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A source that yields `items`, `gapMs` apart; it never ends unless END is among them, nor until cancelled. */
async function* source(items: string[], gapMs: number, signal: AbortSignal): AsyncGenerator<string> {
  for (const item of items) {
    await after(gapMs);
    yield item;
  }
  await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
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

/** Reads the whole stream in the background; `pauseMs` is a slow client's time after each item. */
function consume(stream: AsyncIterable<string>, pauseMs = 0) {
  const seen: string[] = [];
  const done = (async () => {
    for await (const item of stream) {
      seen.push(item);
      if (pauseMs) await after(pauseMs);
    }
  })();
  return { seen, done };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('followCommitted idle timeout', () => {
  it('cuts a stream whose upstream goes quiet, exactly the timeout after its last item, with the upstream cancelled', async () => {
    const run = follow(['b'], 5, 80);
    const reading = consume(run.stream);
    await vi.advanceTimersByTimeAsync(5 + 79);
    expect(reading.seen).toEqual(['a', 'b']);
    expect(run.cancelled()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await reading.done;
    expect(reading.seen).toEqual(['a', 'b', 'ERROR:upstream_timeout']);
    expect(run.end()).toMatchObject({ status: 'error', outputBytes: 2 });
    expect(run.end()?.error?.kind).toBe('upstream_timeout');
    expect(run.cancelled()).toBe(1);
  });

  it('does not count time the consumer spends between reads', async () => {
    const run = follow(['b', 'c', 'END'], 5, 80);
    // A slow client: far longer than the idle timeout after each item, while the upstream has items ready.
    const reading = consume(run.stream, 150);
    await vi.advanceTimersByTimeAsync(1_000);
    await reading.done;
    expect(reading.seen).toEqual(['a', 'b', 'c', 'END']);
    expect(run.end()).toMatchObject({ status: 'ok', outputBytes: 3 });
  });

  it('lets an upstream that keeps sending within the timeout run longer than the timeout in all', async () => {
    const run = follow(['b', 'c', 'd', 'e', 'f', 'END'], 30, 80);
    const reading = consume(run.stream);
    await vi.advanceTimersByTimeAsync(1_000);
    await reading.done;
    expect(reading.seen).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'END']);
    expect(run.end()?.status).toBe('ok');
    expect(run.cancelled()).toBe(0);
  });
});
