/**
 * Micro-benchmark of pricing one answer after the first lookup of its model, which every
 * settled request does: `npx tsx bench/pricing-lookup.ts`. The figure is the fastest of many
 * short rounds, the closest to the cost with the CPU to itself on a shared machine.
 */
import { ConfigSchema } from '../src/config/schema.js';
import { createPricing } from '../src/core/pricing.js';

const pricing = createPricing(ConfigSchema.parse({}));
const usage = { input: 1234, cacheRead: 200, cacheWrite: 0, output: 321, reasoning: 0 };
pricing.costOf('openai', 'openai', 'gpt-4.1-mini', usage);

const ROUNDS = 200;
const PER_ROUND = 10_000;
let fastest = Infinity;
let sink = 0;
for (let round = 0; round < ROUNDS; round++) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < PER_ROUND; i++) sink += pricing.costOf('openai', 'openai', 'gpt-4.1-mini', usage) ?? 0;
  fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / PER_ROUND);
}
process.stdout.write(`pricing one answer (cached model): ${fastest.toFixed(0)} ns${sink < 0 ? ' ' : ''}\n`);
