import type { ErrorKind } from './errors.js';

/** Failures that say a candidate is unwell, as opposed to the request being at fault. */
const unhealthy: ReadonlySet<ErrorKind> = new Set([
  'upstream_timeout',
  'upstream_connection',
  'upstream_overloaded',
  'upstream_server_error',
  'stream_interrupted',
  'upstream_invalid',
]);

export function countsAgainstHealth(kind: ErrorKind): boolean {
  return unhealthy.has(kind);
}

interface Circuit {
  failures: number;
  openedAt: number | null;
  /** A half-open circuit lets one trial request through at a time. */
  trial: boolean;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * One breaker per candidate (`provider/model`): after `failureThreshold` unhealthy failures in a
 * row it opens and the router skips that candidate; after `cooldownMs` it half-opens and lets a
 * single trial through; the trial's success closes it, its failure opens it again.
 */
export class CircuitBreakers {
  private readonly circuits = new Map<string, Circuit>();

  constructor(
    private readonly settings: { failureThreshold: number; cooldownMs: number },
    private readonly clock: () => number = Date.now,
  ) {}

  state(id: string): CircuitState {
    const circuit = this.circuits.get(id);
    if (!circuit || circuit.openedAt === null) return 'closed';
    return this.clock() - circuit.openedAt >= this.settings.cooldownMs ? 'half-open' : 'open';
  }

  /** May a request go to this candidate now? A yes in half-open state claims the one trial. */
  allow(id: string): boolean {
    const state = this.state(id);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    const circuit = this.circuits.get(id)!;
    if (circuit.trial) return false;
    circuit.trial = true;
    return true;
  }

  success(id: string): void {
    this.circuits.delete(id);
  }

  failure(id: string, kind: ErrorKind): void {
    if (!countsAgainstHealth(kind)) return this.release(id);
    const circuit = this.circuits.get(id) ?? { failures: 0, openedAt: null, trial: false };
    circuit.failures += 1;
    if (circuit.trial || circuit.failures >= this.settings.failureThreshold) circuit.openedAt = this.clock();
    circuit.trial = false;
    this.circuits.set(id, circuit);
  }

  /** The attempt ended without a verdict on health (client went away, bad request). */
  release(id: string): void {
    const circuit = this.circuits.get(id);
    if (circuit) circuit.trial = false;
  }
}
