import type { StrategyName } from '../../config/schema.js';
import type { Candidate } from '../candidates.js';

/** One place a model group is served, as the router tries it. */
export interface Deployment {
  /** Breakers, limits and figures know the deployment by this (config `id`, or `<group>#<index>`). */
  id: string;
  /** The group's name: the model id clients send. */
  group: string;
  /** The provider (with the deployment's own key or base URL) and its model id. */
  candidate: Candidate;
  weight: number;
  rpm?: number | undefined;
  tpm?: number | undefined;
  /** USD for a million input and a million output tokens; Infinity when the price is unknown. */
  unitCost: number;
}

/** What strategies read about each deployment: this process's own view. */
export interface DeploymentFigures {
  /** Moving average of the time to first output, in ms; undefined before the first answer. */
  latencyMs(id: string): number | undefined;
  /** Attempts on it now in flight. */
  inFlight(id: string): number;
}

/**
 * Picks the order in which one request tries a group's deployments. The router then skips any
 * whose circuit is open or that is at its own RPM/TPM limit, and falls back along this order.
 */
export interface Strategy {
  readonly name: StrategyName;
  /** Every deployment once, in a fresh array. */
  order(deployments: readonly Deployment[], figures: DeploymentFigures): Deployment[];
}

/** A number in [0, 1); tests pass a seeded one. */
export type Random = () => number;

/** `deployments` starting at `start` and wrapping around. */
export function rotated<T>(items: readonly T[], start: number): T[] {
  const offset = start % items.length;
  return offset === 0 ? items.slice() : [...items.slice(offset), ...items.slice(0, offset)];
}
