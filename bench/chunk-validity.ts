/**
 * Micro-benchmark of the check the OpenAI passthrough makes on every streamed chunk after the
 * commit point: is it exactly one JSON object? `npx tsx bench/chunk-validity.ts`. Compares the
 * one-pass check (`isJsonObject`) with `JSON.parse`, and with the old first-and-last-character
 * test (which let a truncated chunk through), on chunks shaped like the bench upstream's and
 * like OpenAI's. Figures are the fastest of many short rounds, which on a shared machine is
 * the closest to the cost with the CPU to itself.
 */
import { isJsonObject } from '../src/providers/passthrough/json-object.js';

const benchChunk = (content: string) =>
  JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench-model', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }], usage: null });
const openaiChunk = (content: string) =>
  JSON.stringify({
    id: 'chatcmpl-BxYz0123456789abcdefghij',
    object: 'chat.completion.chunk',
    created: 1_767_000_000,
    model: 'gpt-4o-mini-2024-07-18',
    service_tier: 'default',
    system_fingerprint: 'fp_0123456789',
    choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }],
    usage: null,
    obfuscation: 'a1B2c3',
  });
const words = ['Hello', ' from', ' the', ' bench', ' upstream', ',', ' all', ' good.', ' "quoted"', ' caf\u00e9', '\n\n'];

function firstAndLast(data: string): boolean {
  const text = data.trim();
  return text.startsWith('{') && text.endsWith('}');
}

function parses(data: string): boolean {
  try {
    const value: unknown = JSON.parse(data);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

const checks: Array<[string, (data: string) => boolean]> = [
  ['first/last character (old, inexact)', firstAndLast],
  ['isJsonObject (one pass)', isJsonObject],
  ['JSON.parse', parses],
];

const ROUNDS = 400;
const PER_ROUND = 5_000;
let sink = 0;
for (const [shape, make] of [
  ['bench upstream', benchChunk],
  ['OpenAI', openaiChunk],
] as const) {
  const chunks = words.map(make);
  const fastest = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, check] of checks) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < PER_ROUND; i++) if (check(chunks[i % chunks.length]!)) sink++;
      const ns = Number(process.hrtime.bigint() - started) / PER_ROUND;
      fastest.set(name, Math.min(fastest.get(name) ?? Infinity, ns));
    }
  }
  const lengths = chunks.map((chunk) => chunk.length);
  console.log(`${shape} chunks (${Math.min(...lengths)}-${Math.max(...lengths)} characters), fastest of ${ROUNDS} rounds of ${PER_ROUND}:`);
  for (const [name, ns] of fastest) console.log(`  ${name.padEnd(38)} ${ns.toFixed(0).padStart(5)} ns per chunk`);
}
if (sink === 0) console.log('');
