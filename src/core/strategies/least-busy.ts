import { rotated, type Deployment, type DeploymentFigures, type Strategy } from './strategy.js';

/**
 * The one with the fewest attempts in flight first. Ties take turns, so an idle group still
 * spreads its requests.
 */
export class LeastBusyStrategy implements Strategy {
  readonly name = 'least-busy';
  private next = 0;

  order(deployments: readonly Deployment[], figures: DeploymentFigures): Deployment[] {
    const start = this.next;
    this.next = (this.next + 1) % Number.MAX_SAFE_INTEGER;
    const keyed = rotated(deployments, start).map((deployment) => ({ deployment, busy: figures.inFlight(deployment.id) }));
    keyed.sort((a, b) => a.busy - b.busy);
    return keyed.map(({ deployment }) => deployment);
  }
}
