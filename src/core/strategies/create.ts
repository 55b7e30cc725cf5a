import type { StrategyName } from '../../config/schema.js';
import { CheapestStrategy } from './cheapest.js';
import { LeastBusyStrategy } from './least-busy.js';
import { LeastLatencyStrategy } from './least-latency.js';
import { OrderedStrategy } from './ordered.js';
import { RoundRobinStrategy } from './round-robin.js';
import type { Random, Strategy } from './strategy.js';
import { WeightedStrategy } from './weighted.js';

const factories: Record<StrategyName, (random: Random) => Strategy> = {
  ordered: () => new OrderedStrategy(),
  weighted: (random) => new WeightedStrategy(random),
  'round-robin': () => new RoundRobinStrategy(),
  'least-latency': () => new LeastLatencyStrategy(),
  cheapest: () => new CheapestStrategy(),
  'least-busy': () => new LeastBusyStrategy(),
};

/** A new strategy; each group has its own (round-robin and least-busy keep a turn). */
export function createStrategy(name: StrategyName, random: Random = Math.random): Strategy {
  return factories[name](random);
}
