import type { Config } from '../config/schema.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { Candidate } from './candidates.js';
import type { Pricing } from './pricing.js';
import { createStrategy } from './strategies/create.js';
import type { Deployment, DeploymentFigures, Random, Strategy } from './strategies/strategy.js';

const REFERENCE_USAGE = { input: 1_000_000, cacheRead: 0, cacheWrite: 0, output: 1_000_000, reasoning: 0 };

interface Group {
  strategy: Strategy;
  deployments: Deployment[];
}

/**
 * The configured model groups: a name clients send, served by several deployments. Each
 * request gets the group's deployments as candidates, in the order its strategy picks.
 */
export class ModelGroups {
  private readonly groups = new Map<string, Group>();

  constructor(config: Config, registry: ProviderRegistry, pricing: Pricing, private readonly figures: DeploymentFigures, random?: Random) {
    for (const [name, group] of Object.entries(config.modelGroups)) {
      const deployments = group.deployments.map((settings, index): Deployment => {
        const base = registry.get(settings.provider);
        if (!base) throw new Error(`model group ${name}: no provider "${settings.provider}" is configured`);
        const provider = settings.apiKey !== undefined || settings.baseURL !== undefined ? base.withCredentials(settings) : base;
        const deployment: Deployment = {
          id: settings.id ?? `${name}#${index}`,
          group: name,
          candidate: { id: `${provider.id}/${settings.model}`, provider, modelId: settings.model },
          weight: settings.weight,
          rpm: settings.rpm,
          tpm: settings.tpm,
          unitCost: pricing.costOf(provider.kind, provider.id, settings.model, REFERENCE_USAGE, 0) ?? Infinity,
        };
        deployment.candidate.deployment = deployment;
        return deployment;
      });
      this.groups.set(name, { strategy: createStrategy(group.strategy, random), deployments });
    }
  }

  has(name: string): boolean {
    return this.groups.has(name);
  }

  /** The group's deployments in this request's order; undefined when `name` names no group. */
  candidates(name: string): Candidate[] | undefined {
    const group = this.groups.get(name);
    if (!group) return undefined;
    return group.strategy.order(group.deployments, this.figures).map((deployment) => deployment.candidate);
  }

  /** Every deployment of every group (for the bench and the console). */
  deployments(name: string): readonly Deployment[] {
    return this.groups.get(name)?.deployments ?? [];
  }
}
