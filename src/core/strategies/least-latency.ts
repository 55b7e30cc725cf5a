import type { Deployment, DeploymentFigures, Strategy } from './strategy.js';

/**
 * The fastest first, by the moving average of time to first output. A deployment not yet timed
 * goes before every timed one, so each gets measured.
 */
export class LeastLatencyStrategy implements Strategy {
  readonly name = 'least-latency';

  order(deployments: readonly Deployment[], figures: DeploymentFigures): Deployment[] {
    const keyed = deployments.map((deployment) => ({ deployment, latency: figures.latencyMs(deployment.id) ?? -1 }));
    keyed.sort((a, b) => a.latency - b.latency);
    return keyed.map(({ deployment }) => deployment);
  }
}
