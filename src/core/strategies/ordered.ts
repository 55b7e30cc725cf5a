import type { Deployment, Strategy } from './strategy.js';

/** The deployments in the order config lists them: the first serves while it is healthy. */
export class OrderedStrategy implements Strategy {
  readonly name = 'ordered';

  order(deployments: readonly Deployment[]): Deployment[] {
    return deployments.slice();
  }
}
