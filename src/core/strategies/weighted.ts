import type { Deployment, Random, Strategy } from './strategy.js';

/**
 * A random order where each deployment comes first in proportion to its weight (weighted
 * sampling without replacement: each draws `u^(1/weight)` and the largest goes first), so
 * fallbacks follow the weights too.
 */
export class WeightedStrategy implements Strategy {
  readonly name = 'weighted';

  constructor(private readonly random: Random) {}

  order(deployments: readonly Deployment[]): Deployment[] {
    const keyed = deployments.map((deployment) => ({ deployment, key: Math.pow(this.random(), 1 / deployment.weight) }));
    keyed.sort((a, b) => b.key - a.key);
    return keyed.map(({ deployment }) => deployment);
  }
}
