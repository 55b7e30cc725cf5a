import type { StoreOutage } from '../policy/state/outage.js';
import { secondsUntilFits } from '../policy/state/sliding-window.js';
import type { RateWindows, WindowTake } from '../policy/state/types.js';
import type { Deployment } from './strategies/strategy.js';

/** A request's slot on a deployment: its tokens are reconciled or given back once it ends. */
export interface DeploymentSlot {
  settle(actualTokens: number): void;
  release(): void;
}

export type SlotOutcome = { kind: 'taken'; slot: DeploymentSlot } | { kind: 'full'; retryAfterSeconds: number };

const FREE_SLOT: DeploymentSlot = { settle: () => undefined, release: () => undefined };

/**
 * A deployment's own RPM and TPM, as its provider enforces them, counted in the shared rate
 * windows so they hold across instances. Like a breaker this is advice: while the store is out
 * of reach a deployment counts as free, and the provider's own 429 still triggers fallback.
 */
export class DeploymentLimits {
  constructor(
    private readonly windows: RateWindows,
    private readonly outage: StoreOutage,
    private readonly clock: () => number,
  ) {}

  async take(deployment: Deployment, tokens: number): Promise<SlotOutcome> {
    const takes: WindowTake[] = [];
    if (deployment.rpm) takes.push({ id: `deployment:${deployment.id}:requests`, limit: deployment.rpm, need: 1, add: 1 });
    const tokenId = `deployment:${deployment.id}:tokens`;
    if (deployment.tpm) takes.push({ id: tokenId, limit: deployment.tpm, need: Math.min(tokens, deployment.tpm), add: tokens });
    if (takes.length === 0) return { kind: 'taken', slot: FREE_SLOT };
    const now = this.clock();
    let outcome;
    try {
      outcome = await this.windows.take(takes, now);
    } catch (error) {
      this.outage.lost(error, 'a deployment limit check');
      return { kind: 'taken', slot: FREE_SLOT };
    }
    if (!outcome.admitted) {
      const take = takes[outcome.refused]!;
      return { kind: 'full', retryAfterSeconds: secondsUntilFits(outcome.counts[outcome.refused]!, now, take.limit, take.need) };
    }
    if (!deployment.tpm) return { kind: 'taken', slot: FREE_SLOT };
    let open = true;
    const adjust = (delta: number) => {
      if (!open) return;
      open = false;
      if (delta !== 0) void this.windows.adjust([tokenId], delta, this.clock()).catch((error: unknown) => this.outage.lost(error, 'a deployment limit reconciliation'));
    };
    return { kind: 'taken', slot: { settle: (actual) => adjust(actual - tokens), release: () => adjust(-tokens) } };
  }
}
