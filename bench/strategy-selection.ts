/**
 * Micro-benchmark of choosing a deployment: one request's ordering of a 20-deployment group by
 * each strategy, as admission does it (`npx tsx bench/strategy-selection.ts`; `npm run bench`
 * prints it first). The figure is the
 * fastest of many short rounds, the closest to the cost with the CPU to itself on a shared machine.
 * The target is at most 10 µs per request.
 */
import { parseConfig } from '../src/config/load.js';
import { strategyNames } from '../src/config/schema.js';
import { DeploymentFeed } from '../src/core/deployment-figures.js';
import { ModelGroups } from '../src/core/model-groups.js';
import { createPricing } from '../src/core/pricing.js';
import { createProviderRegistry } from '../src/providers/registry.js';

/** One line per strategy: the fastest per-request cost seen. */
export function benchStrategySelection(): string[] {
  const lines: string[] = [];
  const DEPLOYMENTS = 20;
  const providers = Object.fromEntries(
    Array.from({ length: DEPLOYMENTS }, (_, index) => [`host${index}`, { kind: 'openai-compatible', baseURL: `http://127.0.0.1:9/${index}/v1` }]),
  );
  const config = parseConfig(
    {
      providers,
      modelGroups: Object.fromEntries(
        strategyNames.map((strategy) => [
          strategy,
          { strategy, deployments: Array.from({ length: DEPLOYMENTS }, (_, index) => ({ provider: `host${index}`, model: 'gpt-4o-mini', weight: 1 + (index % 4) })) },
        ]),
      ),
    },
    {},
  );
  const feed = new DeploymentFeed();
  const groups = new ModelGroups(config, createProviderRegistry(config), createPricing(config), feed);
  // Figures as a busy gateway has them: every deployment timed, some in flight.
  for (const strategy of strategyNames) {
    groups.deployments(strategy).forEach((deployment, index) => {
      const watch = feed.started(deployment.id);
      watch.answered();
      if (index % 3 !== 0) watch.ended();
    });
  }

  const ROUNDS = 100;
  const PER_ROUND = 2_000;
  let sink = 0;
  for (const strategy of strategyNames) {
    let fastest = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < PER_ROUND; i++) sink += groups.candidates(strategy)!.length;
      fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / PER_ROUND);
    }
    lines.push(`choosing among ${DEPLOYMENTS} deployments, ${strategy.padEnd(13)} ${(fastest / 1000).toFixed(2)} µs${sink < 0 ? ' ' : ''}`);
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) for (const line of benchStrategySelection()) process.stdout.write(`${line}\n`);
