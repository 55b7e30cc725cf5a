import type { Deployment, Strategy } from './strategy.js';

/** The lowest price first (input and output per million tokens together); unpriced ones last. */
export class CheapestStrategy implements Strategy {
  readonly name = 'cheapest';

  order(deployments: readonly Deployment[]): Deployment[] {
    return deployments.slice().sort((a, b) => (a.unitCost === b.unitCost ? 0 : a.unitCost < b.unitCost ? -1 : 1));
  }
}
