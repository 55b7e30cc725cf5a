/**
 * Files built at install next to the compiled server (`npm ci` runs `prepare`): the web console
 * and the MCP Apps views. This module sits one folder below the package root both as source
 * (`src/http/`) and compiled (`dist/http/`), so the built files are found from either.
 */
import { readFileSync } from 'node:fs';

export const builtAssetsRoot = new URL('../../dist/', import.meta.url);

/** A built file's text, or undefined when it has not been built. */
export function readBuiltText(path: string): string | undefined {
  try {
    return readFileSync(new URL(path, builtAssetsRoot), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
