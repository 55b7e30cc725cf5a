import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirError, dataDirProblem, defaultDataDir, describeDataHome, ensureDataDir, legacyDataDirWarning, resolveDataHome } from '../../src/config/data-home.js';

/** Root ignores file modes: a read-only folder is then no test of anything. */
const permissionsEnforced = process.getuid?.() !== 0 && process.platform !== 'win32';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tollgate-data-home-'));
});
afterAll(() => {
  if (existsSync(join(work, 'locked'))) chmodSync(join(work, 'locked'), 0o755);
  rmSync(work, { recursive: true, force: true });
});

describe('the default data folder', () => {
  it('follows XDG on Linux: $XDG_DATA_HOME/tollgate, else ~/.local/share/tollgate', () => {
    expect(defaultDataDir({ platform: 'linux', home: '/home/ada', env: {} })).toBe('/home/ada/.local/share/tollgate');
    expect(defaultDataDir({ platform: 'linux', home: '/home/ada', env: { XDG_DATA_HOME: '/data/ada' } })).toBe('/data/ada/tollgate');
    // The spec says a relative value is to be ignored.
    expect(defaultDataDir({ platform: 'linux', home: '/home/ada', env: { XDG_DATA_HOME: 'relative/dir' } })).toBe('/home/ada/.local/share/tollgate');
    expect(defaultDataDir({ platform: 'freebsd', home: '/home/ada', env: {} })).toBe('/home/ada/.local/share/tollgate');
  });

  it('uses Application Support on macOS and LOCALAPPDATA on Windows', () => {
    expect(defaultDataDir({ platform: 'darwin', home: '/Users/ada', env: { XDG_DATA_HOME: '/x' } })).toBe('/Users/ada/Library/Application Support/tollgate');
    expect(defaultDataDir({ platform: 'win32', home: 'C:\\Users\\ada', env: { LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' } })).toBe('C:\\Users\\ada\\AppData\\Local\\tollgate');
    expect(defaultDataDir({ platform: 'win32', home: 'C:\\Users\\ada', env: {} })).toBe('C:\\Users\\ada\\AppData\\Local\\tollgate');
  });

  it('is overridden by TOLLGATE_DATA_DIR, and that by --data-dir, relative ones from the working directory', () => {
    const env = { XDG_DATA_HOME: '/xdg', TOLLGATE_DATA_DIR: 'from-env' };
    expect(resolveDataHome({ env: { XDG_DATA_HOME: '/xdg' }, platform: 'linux', cwd: '/work' })).toEqual({ dir: '/xdg/tollgate', source: 'default' });
    expect(resolveDataHome({ env, platform: 'linux', cwd: '/work' })).toEqual({ dir: '/work/from-env', source: 'env' });
    expect(resolveDataHome({ env, flag: '/abs/flag', platform: 'linux', cwd: '/work' })).toEqual({ dir: '/abs/flag', source: 'flag' });
    expect(describeDataHome({ dir: '/xdg/tollgate', source: 'default' })).toBe('data: /xdg/tollgate (the default; --data-dir or TOLLGATE_DATA_DIR moves it)');
    expect(describeDataHome({ dir: '/work/from-env', source: 'env' })).toBe('data: /work/from-env (from TOLLGATE_DATA_DIR)');
  });
});

describe('a ledger left in ./.tollgate', () => {
  it('is warned about when the default is used, and says how to keep using it', () => {
    const cwd = join(work, 'project');
    mkdirSync(join(cwd, '.tollgate'), { recursive: true });
    const home = { dir: join(work, 'xdg', 'tollgate'), source: 'default' as const };
    // An empty folder is nothing to warn about.
    expect(legacyDataDirWarning(home, cwd)).toBeUndefined();
    writeFileSync(join(cwd, '.tollgate', 'tollgate.db'), '');
    const warning = legacyDataDirWarning(home, cwd)!;
    expect(warning).toContain(join(cwd, '.tollgate'));
    expect(warning).toContain(`--data-dir ${join(cwd, '.tollgate')}`);
    expect(warning).toContain(`TOLLGATE_DATA_DIR=${join(cwd, '.tollgate')}`);
    // Chosen on purpose, or the same folder: no warning.
    expect(legacyDataDirWarning({ ...home, source: 'env' }, cwd)).toBeUndefined();
    expect(legacyDataDirWarning({ dir: join(cwd, '.tollgate'), source: 'default' }, cwd)).toBeUndefined();
  });
});

describe('a data folder that cannot be used', () => {
  it('is named, with the reason, for a path under a regular file (unusable even for root)', () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'not a folder');
    const dir = join(file, 'data');
    expect(() => ensureDataDir(dir)).toThrow(DataDirError);
    expect(() => ensureDataDir(dir)).toThrow(`the data folder ${dir} cannot be used: a part of the path is a file, not a folder (ENOTDIR)`);
    expect(() => ensureDataDir(file)).toThrow(`the data folder ${file} cannot be used: it is a file, not a folder (EEXIST)`);
    expect(dataDirProblem(dir)).toMatch(/ENOTDIR/);
    expect(dataDirProblem(file)).toMatch(/EEXIST/);
  });

  it.skipIf(!permissionsEnforced)('is named for a read-only folder', () => {
    const locked = join(work, 'locked');
    mkdirSync(locked, { mode: 0o555 });
    expect(() => ensureDataDir(join(locked, 'tollgate'))).toThrow(/permission denied \(EACCES\)/);
    expect(() => ensureDataDir(locked)).toThrow(`the data folder ${locked} cannot be used: permission denied (EACCES)`);
    expect(dataDirProblem(join(locked, 'tollgate'))).toMatch(/EACCES/);
  });

  it('is created when missing, and checking it does not create it', () => {
    const dir = join(work, 'fresh', 'nested', 'tollgate');
    expect(dataDirProblem(dir)).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
    ensureDataDir(dir);
    expect(existsSync(dir)).toBe(true);
  });
});
