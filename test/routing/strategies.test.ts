import { describe, expect, it } from 'vitest';
import { strategyNames, type StrategyName } from '../../src/config/schema.js';
import type { ProviderEntry } from '../../src/providers/registry.js';
import { createStrategy } from '../../src/core/strategies/create.js';
import type { Deployment, DeploymentFigures } from '../../src/core/strategies/strategy.js';

/** One suite for every strategy: what each must do, then what makes each one itself. */

/** A seeded generator (mulberry32), so a weighted draw is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function deployment(id: string, settings: Partial<Deployment> = {}): Deployment {
  const provider = { id: `p-${id}` } as ProviderEntry;
  return { id, group: 'g', candidate: { id: `p-${id}/m`, provider, modelId: 'm' }, weight: 1, unitCost: 1, ...settings };
}

function figures(latency: Record<string, number> = {}, busy: Record<string, number> = {}): DeploymentFigures {
  return { latencyMs: (id) => latency[id], inFlight: (id) => busy[id] ?? 0 };
}

const ids = (order: Deployment[]) => order.map((entry) => entry.id);

describe.each(strategyNames.map((name) => ({ name })))('$name', ({ name }) => {
  const deployments = ['a', 'b', 'c', 'd'].map((id) => deployment(id));

  it('orders every deployment exactly once, in a fresh array, leaving the input as it was', () => {
    const strategy = createStrategy(name, seeded(1));
    expect(strategy.name).toBe(name);
    for (let round = 0; round < 10; round++) {
      const order = strategy.order(deployments, figures({ a: 30, b: 10 }, { c: 2 }));
      expect(order).not.toBe(deployments);
      expect([...ids(order)].sort()).toEqual(['a', 'b', 'c', 'd']);
    }
    expect(ids(deployments)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('serves a group of one', () => {
    expect(ids(createStrategy(name, seeded(2)).order([deployment('only')], figures()))).toEqual(['only']);
  });
});

describe('what each strategy is for', () => {
  const firstCounts = (name: StrategyName, deployments: Deployment[], rounds: number, figuresOf = figures()) => {
    const strategy = createStrategy(name, seeded(42));
    const counts: Record<string, number> = {};
    for (let round = 0; round < rounds; round++) {
      const first = strategy.order(deployments, figuresOf)[0]!.id;
      counts[first] = (counts[first] ?? 0) + 1;
    }
    return counts;
  };

  it('ordered: config order, always', () => {
    expect(firstCounts('ordered', [deployment('a'), deployment('b')], 50)).toEqual({ a: 50 });
  });

  it('weighted: 3:1 weights put 75 % of first picks on the heavier one', () => {
    const counts = firstCounts('weighted', [deployment('heavy', { weight: 3 }), deployment('light', { weight: 1 })], 20_000);
    expect(counts.heavy! / 20_000).toBeGreaterThan(0.74);
    expect(counts.heavy! / 20_000).toBeLessThan(0.76);
  });

  it('round-robin: each request starts at the next deployment', () => {
    const strategy = createStrategy('round-robin');
    const group = [deployment('a'), deployment('b'), deployment('c')];
    expect([0, 1, 2, 3].map(() => ids(strategy.order(group, figures())))).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c', 'a'],
      ['c', 'a', 'b'],
      ['a', 'b', 'c'],
    ]);
  });

  it('least-latency: untimed deployments first, then the fastest average', () => {
    const strategy = createStrategy('least-latency');
    const group = [deployment('slow'), deployment('fast'), deployment('new')];
    expect(ids(strategy.order(group, figures({ slow: 900, fast: 40 })))).toEqual(['new', 'fast', 'slow']);
  });

  it('cheapest: lowest price first, unpriced last', () => {
    const strategy = createStrategy('cheapest');
    const group = [deployment('unpriced', { unitCost: Infinity }), deployment('dear', { unitCost: 18 }), deployment('cheap', { unitCost: 3 })];
    expect(ids(strategy.order(group, figures()))).toEqual(['cheap', 'dear', 'unpriced']);
  });

  it('least-busy: fewest in flight first; idle ones take turns', () => {
    const strategy = createStrategy('least-busy');
    const group = [deployment('a'), deployment('b'), deployment('c')];
    expect(strategy.order(group, figures({}, { a: 3, b: 1, c: 2 }))[0]!.id).toBe('b');
    expect(firstCounts('least-busy', group, 30)).toEqual({ a: 10, b: 10, c: 10 });
  });
});
