import { readFileSync } from 'node:fs';

/** Tollgate's version, from package.json (two levels up from both src/ and dist/). */
export const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
