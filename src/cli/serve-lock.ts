import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SERVE_LOCK_FILE = 'serve.lock';

/** Another live `tollgate serve` holds the data folder. */
export class ServeLockHeld extends Error {
  override name = 'ServeLockHeld';
}

interface LockContent {
  pid: number;
  url?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockContent | undefined {
  try {
    const content = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockContent>;
    return typeof content.pid === 'number' ? { pid: content.pid, ...(typeof content.url === 'string' ? { url: content.url } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

export interface ServeLock {
  /** Adds the address the server listens on, for the message a second serve prints. */
  listening(url: string): void;
  release(): void;
}

/**
 * One `serve` per data folder when its policy state is the folder's own (no Redis): a lock file
 * with the pid (and address) of the serve that holds it. A lock whose process is gone (killed
 * with -9) is taken over. The lock goes when the process exits, however it exits.
 */
export function takeServeLock(dataDir: string): ServeLock {
  const path = join(dataDir, SERVE_LOCK_FILE);
  // Written whole beside it, then linked in place (which fails if it exists): a lock file is never seen half-written.
  const write = (content: LockContent, place: (from: string) => void) => {
    const draft = `${path}.${process.pid}`;
    writeFileSync(draft, `${JSON.stringify(content)}\n`);
    try {
      place(draft);
    } finally {
      try {
        unlinkSync(draft);
      } catch {
        // Renamed into place.
      }
    }
  };
  // Bounded: each round either takes the lock, finds a live holder, or removes a dead one's.
  for (let round = 0; round < 3; round++) {
    try {
      write({ pid: process.pid }, (draft) => linkSync(draft, path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readLock(path);
      if (holder && holder.pid !== process.pid && alive(holder.pid)) {
        throw new ServeLockHeld(
          `another tollgate serve (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ''}) already uses the data folder ${dataDir}. ` +
            'Without Redis one serve runs per data folder: use that one (`tollgate mcp`, `keys` and `spend` work beside it and share its budgets and rate limits), ' +
            'give this one its own folder with --data-dir, or set TOLLGATE_REDIS_URL on every serve so that several share budgets and limits.',
        );
      }
      // Its holder is gone (killed with -9): take it over.
      try {
        unlinkSync(path);
      } catch {
        // Another process removed it first.
      }
      continue;
    }
    const release = () => {
      if (readLock(path)?.pid !== process.pid) return;
      try {
        unlinkSync(path);
      } catch {
        // Already gone.
      }
    };
    process.once('exit', release);
    return {
      listening: (url) => write({ pid: process.pid, url }, (draft) => renameSync(draft, path)),
      release: () => {
        process.off('exit', release);
        release();
      },
    };
  }
  throw new ServeLockHeld(`the lock ${path} of the data folder could not be taken: another tollgate serve is starting on it`);
}
