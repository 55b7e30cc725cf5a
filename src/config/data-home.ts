/**
 * Where Tollgate keeps its data (the SQLite ledger, keys, images). One folder per user, not per
 * working directory, so `serve`, `mcp`, `keys` and `spend` started from anywhere share one
 * ledger and one set of keys. `--data-dir` wins over `TOLLGATE_DATA_DIR`, which wins over the
 * user's data directory.
 */
import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { posix, resolve, win32 } from 'node:path';

type Env = Record<string, string | undefined>;

export type DataHomeSource = 'flag' | 'env' | 'default';

export interface DataHome {
  /** Absolute path of the data folder. */
  dir: string;
  source: DataHomeSource;
}

export interface DataHomeOptions {
  /** `--data-dir`, relative to `cwd`. */
  flag?: string | undefined;
  env?: Env;
  cwd?: string;
  platform?: NodeJS.Platform;
  home?: string;
}

/** The file the SQLite store keeps in the data folder. */
export const LEDGER_FILE = 'tollgate.db';

/** The folder used before the data home existed: `./.tollgate` under the working directory. */
const LEGACY_DIR = '.tollgate';

/**
 * The user's data directory for Tollgate: `$XDG_DATA_HOME/tollgate` (an absolute value only, as
 * the XDG spec says), else `~/.local/share/tollgate`; `~/Library/Application Support/tollgate`
 * on macOS; `%LOCALAPPDATA%\tollgate` on Windows.
 */
export function defaultDataDir(options: Pick<DataHomeOptions, 'env' | 'platform' | 'home'> = {}): string {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = options.home ?? homedir();
  if (platform === 'win32') return win32.join(env.LOCALAPPDATA || win32.join(home, 'AppData', 'Local'), 'tollgate');
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', 'tollgate');
  const xdg = env.XDG_DATA_HOME;
  return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.local', 'share'), 'tollgate');
}

export function resolveDataHome(options: DataHomeOptions = {}): DataHome {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (options.flag) return { dir: resolve(cwd, options.flag), source: 'flag' };
  if (env.TOLLGATE_DATA_DIR) return { dir: resolve(cwd, env.TOLLGATE_DATA_DIR), source: 'env' };
  return { dir: defaultDataDir(options), source: 'default' };
}

const SOURCE_TEXT: Record<DataHomeSource, string> = {
  flag: 'from --data-dir',
  env: 'from TOLLGATE_DATA_DIR',
  default: 'the default; --data-dir or TOLLGATE_DATA_DIR moves it',
};

/** The one line every command prints on stderr: which folder it uses, and why that one. */
export function describeDataHome(home: DataHome): string {
  return `data: ${home.dir} (${SOURCE_TEXT[home.source]})`;
}

/**
 * A warning when the working directory holds a ledger in `./.tollgate` (where older versions
 * kept it) that the default data home no longer reads, so that a split ledger never goes
 * unnoticed. Undefined when there is none, or when the folder was chosen explicitly.
 */
export function legacyDataDirWarning(home: DataHome, cwd = process.cwd()): string | undefined {
  if (home.source !== 'default') return undefined;
  const legacy = resolve(cwd, LEGACY_DIR);
  if (legacy === home.dir || !statOrUndefined(resolve(legacy, LEDGER_FILE))?.isFile()) return undefined;
  return (
    `warning: ${legacy} holds a ledger that is not used: the data folder is now ${home.dir}. ` +
    `To keep using it, pass --data-dir ${legacy} or set TOLLGATE_DATA_DIR=${legacy} (or move its tollgate.db* files to ${home.dir}).`
  );
}

/** The data folder cannot be used; the CLI prints the message and exits with code 2. */
export class DataDirError extends Error {
  override name = 'DataDirError';
}

/** stat without throwing: undefined when the path is missing or cannot be looked at. */
function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'it is a file, not a folder',
  ENOSPC: 'no space left on the device',
};

function unusable(dir: string, error: unknown): DataDirError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const reason = REASONS[code] ?? (error as Error).message;
  return new DataDirError(
    `the data folder ${dir} cannot be used: ${reason}${code && REASONS[code] ? ` (${code})` : ''}. ` +
      'Choose a folder you can write to with --data-dir DIR or TOLLGATE_DATA_DIR.',
  );
}

/** Creates the data folder if needed and checks that it (and its ledger, if any) can be written. */
export function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'EEXIST' });
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    const ledger = resolve(dir, LEDGER_FILE);
    if (statSync(ledger, { throwIfNoEntry: false })) accessSync(ledger, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw unusable(dir, error);
  }
}

/**
 * Whether the data folder could be used, without creating it: the folder itself when it
 * exists, else the nearest folder above it that does. Returns the problem, or undefined.
 */
export function dataDirProblem(dir: string): string | undefined {
  let probe = dir;
  for (let depth = 0; depth < 64; depth++) {
    let stat;
    try {
      stat = statSync(probe, { throwIfNoEntry: false });
    } catch (error) {
      return unusable(dir, error).message;
    }
    if (stat) {
      try {
        if (!stat.isDirectory()) throw Object.assign(new Error('not a folder'), { code: probe === dir ? 'EEXIST' : 'ENOTDIR' });
        accessSync(probe, constants.W_OK | constants.X_OK);
        const ledger = resolve(dir, LEDGER_FILE);
        if (probe === dir && statSync(ledger, { throwIfNoEntry: false })) accessSync(ledger, constants.R_OK | constants.W_OK);
        return undefined;
      } catch (error) {
        return unusable(dir, error).message;
      }
    }
    const parent = resolve(probe, '..');
    if (parent === probe) break;
    probe = parent;
  }
  return `the data folder ${dir} cannot be used: no existing folder above it`;
}
