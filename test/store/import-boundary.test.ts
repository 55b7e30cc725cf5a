/**
 * No caller knows which backend it has: outside `src/store`, no module imports a store backend
 * (`src/store/sqlite`, `src/store/postgres`, `src/store/redis`) or a database driver. They hold
 * the interfaces of `src/store/types.ts` and get them from `src/store/create-store.ts`.
 *
 * One documented exception: policy state kept in the data folder (`src/policy/state/data-home`)
 * is its own backend of the policy state interfaces, and its file is SQLite.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';

const SRC = join(repoRoot, 'src');
const BACKENDS = ['src/store/sqlite/', 'src/store/postgres/', 'src/store/redis/'];
const DRIVERS = ['better-sqlite3', 'pg', 'pg-pool', 'pg-cursor'];
/** Where a driver may be imported outside `src/store`, and why (see the file's comment). */
const DRIVER_ALLOWED: Record<string, string[]> = { 'better-sqlite3': ['src/policy/state/data-home/'] };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mts)$/.test(entry.name) ? [path] : [];
  });
}

/** Every module specifier a file names: static imports and re-exports, `import()` and `require()`. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

/** What a file imports that it should not; an empty list when it keeps to the interfaces. */
function violations(file: string, source: string): string[] {
  const from = relative(repoRoot, file).split('\\').join('/');
  if (from.startsWith('src/store/')) return [];
  return specifiers(source).flatMap((specifier) => {
    if (specifier.startsWith('.')) {
      const target = relative(repoRoot, resolve(dirname(file), specifier)).split('\\').join('/');
      return BACKENDS.some((backend) => target.startsWith(backend)) ? [`${from} imports ${target}`] : [];
    }
    const pkg = specifier.split('/')[0]!;
    if (!DRIVERS.includes(pkg)) return [];
    return (DRIVER_ALLOWED[pkg] ?? []).some((allowed) => from.startsWith(allowed)) ? [] : [`${from} imports ${pkg}`];
  });
}

describe('the store boundary', () => {
  it('no module outside src/store imports a store backend or a database driver', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    expect(files.flatMap((file) => violations(file, readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('catches each way of reaching a backend (the check itself can fail)', () => {
    const app = join(SRC, 'app.ts');
    expect(violations(app, "import { openSqliteStore } from './store/sqlite/sqlite-store.js';")).toEqual(['src/app.ts imports src/store/sqlite/sqlite-store.js']);
    expect(violations(app, "const { openPostgresStore } = await import('./store/postgres/postgres-store.js');")).toEqual(['src/app.ts imports src/store/postgres/postgres-store.js']);
    expect(violations(app, "export { redisResponseCache } from './store/redis/response-cache.js';")).toEqual(['src/app.ts imports src/store/redis/response-cache.js']);
    expect(violations(join(SRC, 'faces', 'x.ts'), "import Database from 'better-sqlite3';")).toEqual(['src/faces/x.ts imports better-sqlite3']);
    expect(violations(join(SRC, 'faces', 'x.ts'), "import pg from 'pg';")).toEqual(['src/faces/x.ts imports pg']);
    expect(violations(app, "import type { Store } from './store/types.js';\nimport { createStore } from './store/create-store.js';")).toEqual([]);
    expect(violations(join(SRC, 'policy', 'state', 'data-home', 'database.ts'), "import Database from 'better-sqlite3';")).toEqual([]);
    expect(violations(join(SRC, 'store', 'create-store.ts'), "import { openSqliteStore } from './sqlite/sqlite-store.js';")).toEqual([]);
  });
});
