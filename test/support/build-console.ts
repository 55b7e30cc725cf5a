/**
 * Vitest global setup: the console and MCP Apps views are built at install (`npm ci` runs
 * `prepare`); rebuild them once before the tests when their sources changed since, so the
 * browser tests never run against an old build.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function newest(folder: string): number {
  let latest = 0;
  for (const name of readdirSync(folder, { recursive: true, encoding: 'utf8' })) {
    const stats = statSync(join(folder, name));
    if (stats.isFile()) latest = Math.max(latest, stats.mtimeMs);
  }
  return latest;
}

function builtAt(file: string): number {
  return statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0;
}

export default function setup(): void {
  const sources = Math.max(newest(join(root, 'console')), builtAt(join(root, 'package-lock.json')));
  const built = Math.min(builtAt(join(root, 'dist/console/index.html')), builtAt(join(root, 'dist/mcp-apps/spend.html')));
  if (built >= sources) return;
  execFileSync(process.execPath, [join(root, 'console/build.mjs')], { stdio: 'inherit' });
}
