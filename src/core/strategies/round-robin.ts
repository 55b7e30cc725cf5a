import { rotated, type Deployment, type Strategy } from './strategy.js';

/** Each request starts at the next deployment, in config order; this process keeps the count. */
export class RoundRobinStrategy implements Strategy {
  readonly name = 'round-robin';
  private next = 0;

  order(deployments: readonly Deployment[]): Deployment[] {
    const start = this.next;
    this.next = (this.next + 1) % Number.MAX_SAFE_INTEGER;
    return rotated(deployments, start);
  }
}
