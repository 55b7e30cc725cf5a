/**
 * Lets the official MCP conformance CLI (@modelcontextprotocol/conformance) load on Node 20.
 * Its bundle imports `globSync` from `fs`, which Node 22 added, although only its `tier-check`
 * command calls it: the `server` scenarios never do. On Node 20 this points that one import at
 * `fs` plus a `globSync` that throws, so the suite's own code runs unchanged. On Node 22 and
 * later it does nothing. Loaded with `node --import` in front of the CLI.
 */
import fs from 'node:fs';
import { register } from 'node:module';

const fsWithGlobSync = `import fs from 'node:fs';
export * from 'node:fs';
export default fs;
export function globSync() { throw new Error('fs.globSync needs Node 22 or later'); }`;

const hooks = `const shim = ${JSON.stringify(`data:text/javascript,${encodeURIComponent(fsWithGlobSync)}`)};
export async function resolve(specifier, context, nextResolve) {
  const fromSuite = context.parentURL?.includes('/node_modules/@modelcontextprotocol/conformance/');
  if (fromSuite && (specifier === 'fs' || specifier === 'node:fs')) return { url: shim, shortCircuit: true };
  return nextResolve(specifier, context);
}`;

if (typeof fs.globSync !== 'function') register(`data:text/javascript,${encodeURIComponent(hooks)}`);
