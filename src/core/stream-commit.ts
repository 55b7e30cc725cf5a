import { GatewayError, ownGatewayError } from './errors.js';
import { withReportedUsage } from './reported-usage.js';
import type { TokenUsage } from './types.js';

/** What the core needs to know about one item of an upstream stream, whatever its format. */
export interface StreamItemFacts {
  /** Generated content or a finish: past this item no fallback is possible. */
  commit: boolean;
  /** The upstream's own end-of-stream marker (`finish` part, `[DONE]`). */
  terminal: boolean;
  usage?: TokenUsage;
  /** An error the upstream sent in-band. */
  error?: unknown;
  /** Output this item generates (text, reasoning, tool-call input), for billing a stream cut before its usage. */
  text: string;
}

export interface CommittedStream<T> {
  head: T[];
  source: AsyncIterator<T>;
  ttftMs: number;
}

/**
 * Reads ahead until the commit point (habit 6 in STYLE.md). An error, or the end of the stream,
 * before it throws so the router can fall back to the next candidate; nothing has reached the
 * client yet. Usage the upstream reported before failing rides on the error: it may be billed.
 */
export async function readToCommit<T>(
  source: AsyncIterator<T>,
  factsOf: (item: T) => StreamItemFacts,
  startedAt: number,
): Promise<CommittedStream<T>> {
  const head: T[] = [];
  let usage: TokenUsage | undefined;
  try {
    for (;;) {
      const next = await source.next();
      if (next.done) {
        throw new GatewayError('upstream_server_error', 'the upstream stream ended before any content');
      }
      const facts = factsOf(next.value);
      if (facts.usage) usage = facts.usage;
      if (facts.error !== undefined) throw facts.error;
      head.push(next.value);
      if (facts.commit || facts.terminal) return { head, source, ttftMs: performance.now() - startedAt };
    }
  } catch (error) {
    await source.return?.(undefined).catch(() => undefined);
    throw withReportedUsage(error, usage);
  }
}

export interface StreamEnd {
  status: 'ok' | 'error' | 'cancelled';
  /** What the upstream reported, if it got that far. */
  usage?: TokenUsage;
  /** UTF-8 bytes of output produced, for an estimate when usage never came (no token is smaller than a byte). */
  outputBytes: number;
  error?: GatewayError;
}

/**
 * Everything after the commit point: yields the head, then the rest as it arrives. A failure
 * becomes one in-band error item and the end of the stream, never a clean finish; a consumer
 * that stops early cancels the upstream. `onEnd` runs exactly once, in every case.
 */
export async function* followCommitted<T>(
  committed: CommittedStream<T>,
  factsOf: (item: T) => StreamItemFacts,
  handlers: {
    errorItem: (error: GatewayError) => T;
    /** Rewrites an item before it is yielded (null drops it). */
    map?: (item: T, facts: StreamItemFacts) => T | null;
    onEnd: (end: StreamEnd) => void;
    /** Longest wait for the next item; a stalled upstream is cut and the stream ends in an error. */
    idleTimeoutMs?: number;
    /**
     * Cancels the upstream. A generator's return() waits for its pending next(), so a stalled or
     * abandoned stream must be cut at the source first.
     */
    cancel?: () => void;
    /** The client's signal: a source that fails because the client left ends as cancelled. */
    clientSignal?: AbortSignal;
  },
): AsyncGenerator<T> {
  // Only the size is kept: the text itself would be held for the whole life of every stream.
  let outputBytes = 0;
  let usage: TokenUsage | undefined;
  let ended: StreamEnd | undefined;
  const pass = (item: T, facts: StreamItemFacts): T | null => {
    if (facts.text) outputBytes += Buffer.byteLength(facts.text, 'utf8');
    if (facts.usage) usage = facts.usage;
    return handlers.map ? handlers.map(item, facts) : item;
  };
  const idle = handlers.idleTimeoutMs ? new IdleWatch(handlers.idleTimeoutMs) : null;
  try {
    let terminal = false;
    for (const item of committed.head) {
      const facts = factsOf(item);
      const out = pass(item, facts);
      terminal ||= facts.terminal;
      if (out !== null) yield out;
    }
    while (!terminal) {
      let next: IteratorResult<T>;
      try {
        next = idle ? await idle.wait(committed.source.next()) : await committed.source.next();
      } catch (error) {
        if (handlers.clientSignal?.aborted) {
          ended = { status: 'cancelled', usage, outputBytes };
          return;
        }
        const stalled = error instanceof StreamStalled;
        if (stalled) {
          handlers.cancel?.();
          void committed.source.return?.(undefined)?.catch(() => undefined);
        }
        // An answer over a size limit says so; any other failure of the source is a break.
        const overLimit = ownGatewayError(error);
        const interrupted = stalled
          ? new GatewayError('upstream_timeout', `the upstream stream stalled (nothing for ${handlers.idleTimeoutMs} ms) after it had started; the answer is incomplete`)
          : overLimit?.kind === 'upstream_invalid'
            ? new GatewayError('upstream_invalid', `${overLimit.message}; the answer is incomplete`)
            : new GatewayError('stream_interrupted', 'the upstream stream broke off after it had started; the answer is incomplete');
        ended = { status: 'error', usage, outputBytes, error: interrupted };
        yield handlers.errorItem(interrupted);
        return;
      }
      if (next.done) break;
      const facts = factsOf(next.value);
      if (facts.error !== undefined) {
        const interrupted = new GatewayError('stream_interrupted', 'the upstream reported an error after the answer had started; the answer is incomplete');
        ended = { status: 'error', usage, outputBytes, error: interrupted };
        yield handlers.errorItem(interrupted);
        return;
      }
      const out = pass(next.value, facts);
      terminal = facts.terminal;
      // Usage may arrive after the terminal marker in some formats; the loop ends on it anyway.
      if (out !== null) yield out;
    }
    if (!terminal) {
      const interrupted = new GatewayError('stream_interrupted', 'the upstream stream ended without finishing; the answer is incomplete');
      ended = { status: 'error', usage, outputBytes, error: interrupted };
      yield handlers.errorItem(interrupted);
      return;
    }
    ended = { status: 'ok', usage, outputBytes };
  } finally {
    idle?.stop();
    if (!ended) {
      // The consumer stopped early: the client went away.
      ended = { status: 'cancelled', usage, outputBytes };
      handlers.cancel?.();
      void committed.source.return?.(undefined)?.catch(() => undefined);
    }
    handlers.onEnd(ended);
  }
}

class StreamStalled extends Error {}

/**
 * Bounds each wait for a stream's next item with one timer per stream, re-armed at each wait:
 * a timer and a race built for every item were a visible share of streaming CPU. Time the
 * consumer spends between waits does not count.
 */
class IdleWatch {
  private stall: ((error: StreamStalled) => void) | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.timer = setTimeout(() => {
      const stall = this.stall;
      this.stall = null;
      stall?.(new StreamStalled());
    }, ms);
    this.timer.unref();
  }

  wait<R>(next: Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.stall = reject;
      // Re-arms the timer, also after it fired while the consumer held the stream.
      this.timer.refresh();
      next.then(
        (value) => {
          this.stall = null;
          resolve(value);
        },
        (error: unknown) => {
          this.stall = null;
          reject(error);
        },
      );
    });
  }

  stop(): void {
    this.stall = null;
    clearTimeout(this.timer);
  }
}
