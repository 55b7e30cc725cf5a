import type { ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { Middleware } from './chain.js';

/** What a drain did: requests that finished on their own, and those ended at the deadline. */
export interface DrainSummary {
  finished: number;
  cancelled: number;
}

interface Tracked {
  res: ServerResponse;
  done: Promise<void>;
}

/**
 * The requests a server is answering, so that it can stop without losing one: a drain waits
 * for them up to a deadline, then ends what is left the way a client leaving would (the
 * upstream call is cancelled and the request is billed for what was received).
 */
export class InFlightRequests {
  private readonly open = new Set<Tracked>();
  private cutNow: (() => void) | undefined;
  private cutEarly = false;

  /** `handled` settles once the request's handler has returned (its row recorded). */
  track(res: ServerResponse, handled: Promise<void>): void {
    const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
    const entry: Tracked = { res, done: Promise.all([closed, handled.catch(() => undefined)]).then(() => undefined) };
    this.open.add(entry);
    void entry.done.then(() => this.open.delete(entry));
  }

  responses(): ServerResponse[] {
    return [...this.open].map((entry) => entry.res);
  }

  /**
   * Waits for every request (those that arrive meanwhile too) until `deadlineMs`, or until
   * `cut()`; then ends the rest and waits for their handlers to record them.
   */
  async drain(deadlineMs: number): Promise<DrainSummary> {
    const seen = new Set<Tracked>();
    let deadline: NodeJS.Timeout | undefined;
    const cutSignal = new Promise<'cut'>((resolve) => {
      this.cutNow = () => resolve('cut');
      if (this.cutEarly) resolve('cut');
      deadline = setTimeout(() => resolve('cut'), deadlineMs);
    });
    try {
      // Bounded: each round waits for at least one request to end, or for the cut.
      for (let round = 0; this.open.size > 0; round++) {
        const pending = [...this.open];
        for (const entry of pending) seen.add(entry);
        const outcome = await Promise.race([Promise.race(pending.map((entry) => entry.done)), cutSignal]);
        if (outcome === 'cut') break;
      }
    } finally {
      clearTimeout(deadline);
    }
    const left = [...this.open];
    for (const entry of left) {
      seen.add(entry);
      entry.res.destroy();
    }
    await Promise.all(left.map((entry) => entry.done));
    const cancelled = left.length;
    return { finished: seen.size - cancelled, cancelled };
  }

  /** Ends the drain now: what is still open is ended as at the deadline. */
  cut(): void {
    this.cutEarly = true;
    this.cutNow?.();
  }
}

/** While the server drains, only endpoints that report on it (health) answer; others say to retry elsewhere. */
export function refuseWhileDraining(draining: () => boolean): Middleware {
  return (exchange, next) => {
    if (draining() && !exchange.endpoint.whileDraining) {
      throw new GatewayError('shutting_down', 'the gateway is shutting down: it finishes the requests it has and takes no new ones; send this again shortly');
    }
    return next();
  };
}
