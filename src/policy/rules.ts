import type { RoutingRule } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import { globToRegExp } from './glob.js';

const MAX_CHAIN = 10;

export interface RuleOutcome {
  model: string;
  /** Rules applied, in order. */
  applied: string[];
}

/** Applies the first matching rule, repeatedly: rewrites chain, a deny ends with 403. */
export function applyRules(model: string, rules: readonly RoutingRule[]): RuleOutcome {
  const applied: string[] = [];
  let current = model;
  for (let step = 0; step <= MAX_CHAIN; step++) {
    const rule = rules.find((candidate) => globToRegExp(candidate.match).test(current));
    if (!rule) return { model: current, applied };
    if (rule.deny) {
      throw new GatewayError('forbidden', rule.message ?? `model ${current} is denied by routing rule "${rule.id}"`, { ruleId: rule.id, model: current });
    }
    applied.push(rule.id);
    if (rule.rewrite === current) return { model: current, applied };
    current = rule.rewrite!;
  }
  // validateRules rejects such configs at load; this guards rules built in code.
  throw new GatewayError('internal', `routing rules rewrite ${model} more than ${MAX_CHAIN} times`);
}

/**
 * Config-time check: every rewrite chain ends within ten steps and none loops. Follows each
 * rule's destination through the rules, as a request would.
 */
export function validateRules(rules: readonly RoutingRule[]): string | null {
  const ids = new Set<string>();
  for (const rule of rules) {
    if (ids.has(rule.id)) return `rules: duplicate rule id "${rule.id}"`;
    ids.add(rule.id);
  }
  for (const rule of rules) {
    if (!rule.rewrite) continue;
    const seen = [rule.id];
    let current = rule.rewrite;
    for (;;) {
      const next = rules.find((candidate) => globToRegExp(candidate.match).test(current));
      if (!next || next.deny || next.rewrite === current) break;
      if (seen.includes(next.id)) return `rules: rewrite cycle ${[...seen, next.id].join(' → ')}`;
      seen.push(next.id);
      if (seen.length > MAX_CHAIN) return `rules: rewrite chain from "${rule.id}" is longer than ${MAX_CHAIN} rules`;
      current = next.rewrite!;
    }
  }
  return null;
}
