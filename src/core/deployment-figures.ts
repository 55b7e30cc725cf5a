import type { DeploymentFigures } from './strategies/strategy.js';

/** Weight of the newest sample in the moving average: recent enough to follow a slowdown within a few requests. */
const SMOOTHING = 0.3;

/** One attempt as the figures follow it. */
export interface AttemptWatch {
  /** The first output came (the whole answer, for a call that is not a stream). */
  answered(): void;
  /** The attempt's work is over, whatever its outcome. Called more than once counts once. */
  ended(): void;
}

/**
 * Latency averages and in-flight counts per deployment, fed by the router's attempts. They are
 * this process's own: under several instances each balances by what it sees.
 */
export class DeploymentFeed implements DeploymentFigures {
  private readonly latency = new Map<string, number>();
  private readonly busy = new Map<string, number>();

  /** `now` in ms, monotonic; tests move it to make a deployment slow. */
  constructor(private readonly now: () => number = () => performance.now()) {}

  latencyMs(id: string): number | undefined {
    return this.latency.get(id);
  }

  inFlight(id: string): number {
    return this.busy.get(id) ?? 0;
  }

  started(id: string): AttemptWatch {
    const startedAt = this.now();
    this.busy.set(id, this.inFlight(id) + 1);
    let open = true;
    return {
      answered: () => {
        const sample = Math.max(0, this.now() - startedAt);
        const average = this.latency.get(id);
        this.latency.set(id, average === undefined ? sample : average + SMOOTHING * (sample - average));
      },
      ended: () => {
        if (!open) return;
        open = false;
        const left = this.inFlight(id) - 1;
        if (left > 0) this.busy.set(id, left);
        else this.busy.delete(id);
      },
    };
  }
}
