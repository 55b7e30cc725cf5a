/**
 * The ledger's durable local spool: every batch of ledger rows is appended to a file of this
 * process's own under `<data>/ledger-spool` before the answers it holds end (and, while
 * PostgreSQL is out of reach, synced to disk first); a shipper sends the batches to PostgreSQL in
 * the order they came, at once while PostgreSQL answers and once it is back while it does not. Each batch carries its id, and PostgreSQL
 * applies an id once: a batch sent twice (its commit was cut before the acknowledgment, or a
 * process died mid-drain) is never counted twice.
 *
 * Files of processes that are gone (crashed, killed) are drained by the next process that opens
 * the folder; a live process's file is left to it.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, writeSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { LedgerBatch } from './ledger-batch.js';

/** Spool files of stores open in this process: never another's to adopt. */
const openHere = new Set<string>();

const FILE_PATTERN = /^ledger-(\d+)-([0-9a-f-]+)\.jsonl$/;
/** How much of a spool file a drain step reads at once. */
const READ_CHUNK_BYTES = 1024 * 1024;
/** Batches sent to PostgreSQL in one statement, at most. */
const BATCHES_PER_APPLY = 200;
/**
 * A drained file of this process's is deleted (and the next append starts a new one) once it is
 * this long: not at every catch-up, which would cost a file per request on a quiet gateway, and
 * not much later, as a crashed process's file is sent again whole (its batches skipped by id).
 */
const ROTATE_BYTES = 64 * 1024;

type ApplyBatches = (batches: LedgerBatch[]) => Promise<void>;

interface SpoolFile {
  path: string;
  /** Bytes of whole lines already sent to PostgreSQL. */
  drained: number;
  /** Bytes of whole lines written (for this process's own file), or the file's size (another's). */
  written: number;
  /** Requests in the file not yet sent; for files of other processes, known once read. */
  rows: number;
  own: boolean;
}

export class LedgerSpool {
  private files: SpoolFile[] = [];
  private own: { file: SpoolFile; handle: FileHandle } | undefined;
  /** Appends and drain steps run one at a time, in order. */
  private tail: Promise<unknown> = Promise.resolve();
  private draining: Promise<void> | undefined;

  constructor(private readonly dir: string) {}

  /** Requests waiting in the spool to reach PostgreSQL. */
  get depth(): number {
    let rows = 0;
    for (const file of this.files) rows += file.rows;
    return rows;
  }

  /** Anything to drain: this process's batches, or files other processes left behind. */
  get pending(): boolean {
    return this.files.some((file) => file.drained < file.written || !file.own);
  }

  /** Takes over the files of processes that are no longer running. */
  async adoptOrphans(): Promise<void> {
    return this.serial(async () => {
      let names: string[];
      try {
        names = readdirSync(this.dir);
      } catch {
        return;
      }
      const adopted: SpoolFile[] = [];
      for (const name of names.sort()) {
        const match = FILE_PATTERN.exec(name);
        if (!match) continue;
        const path = join(this.dir, name);
        if (openHere.has(path) || this.files.some((file) => file.path === path)) continue;
        const pid = Number(match[1]);
        // A pid may be reused (pid 1 in every container): a file named with this process's pid
        // is a previous run's, as this run's own file is not on the list yet.
        if (pid !== process.pid && isRunning(pid)) continue;
        const { rows, size } = await countRows(path);
        adopted.push({ path, drained: 0, written: size, rows, own: false });
      }
      this.files = [...adopted, ...this.files];
    });
  }

  /**
   * Appends a batch: once this resolves its rows outlive a crash of this process (the file is
   * written; the OS holds it). With `sync` they are also synced to disk, to outlive an OS crash.
   */
  async append(batch: LedgerBatch, sync: boolean): Promise<void> {
    const line = Buffer.from(`${JSON.stringify(batch)}\n`);
    return this.serial(async () => {
      if (!this.own) {
        mkdirSync(this.dir, { recursive: true });
        const path = join(this.dir, `ledger-${process.pid}-${randomUUID()}.jsonl`);
        const file: SpoolFile = { path, drained: 0, written: 0, rows: 0, own: true };
        this.own = { file, handle: await open(path, 'a') };
        await syncDirectory(this.dir);
        openHere.add(path);
        this.files.push(file);
      }
      const { file, handle } = this.own;
      // On the spot: a small append to the OS's cache takes microseconds, less than a trip
      // through libuv's thread pool and back, which answers would wait for.
      for (let offset = 0; offset < line.length; ) offset += writeSync(handle.fd, line, offset);
      if (sync) await handle.datasync();
      file.written += line.length;
      file.rows += batch.requests.length;
    });
  }

  /** Syncs what this process has appended so far to disk. */
  async sync(): Promise<void> {
    return this.serial(async () => {
      await this.own?.handle.datasync();
    });
  }

  /**
   * Sends the spooled batches to `apply` in order, several at a time, moving on once they are
   * acknowledged; stops at the first failure (thrown). Every file of another process emptied is
   * deleted, and this process's own once it has grown long. Appends go on meanwhile: a drain
   * ends only when it has caught up with them.
   */
  drain(apply: ApplyBatches): Promise<void> {
    this.draining ??= this.drainAll(apply).finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** Closes this process's file, and deletes it when everything in it has been sent. */
  async close(): Promise<void> {
    await this.serial(async () => {
      if (!this.own) return;
      const { file, handle } = this.own;
      openHere.delete(file.path);
      await handle.close();
      this.own = undefined;
      if (file.drained < file.written) return;
      this.files = this.files.filter((other) => other !== file);
      await unlink(file.path).catch(() => undefined);
    });
  }

  private async drainAll(apply: ApplyBatches): Promise<void> {
    for (let round = 0; round < 10_000_000; round++) {
      const file = this.files[0];
      if (!file) return;
      if (file.drained < file.written) {
        await this.drainChunk(file, apply);
        continue;
      }
      // Emptied, unless an append landed meanwhile (appends and this run one at a time).
      const more = await this.serial(async () => {
        if (file.drained < file.written) return true;
        if (file.own && file.written < ROTATE_BYTES) return false;
        if (file.own) {
          openHere.delete(file.path);
          await this.own?.handle.close();
          this.own = undefined;
        }
        this.files.shift();
        await unlink(file.path).catch(() => undefined);
        return this.files.length > 0;
      });
      if (!more) return;
    }
  }

  /** Sends the whole lines of the next chunk of the file. */
  private async drainChunk(file: SpoolFile, apply: ApplyBatches): Promise<void> {
    const handle = await open(file.path, 'r');
    let chunk: Buffer;
    try {
      const length = Math.min(READ_CHUNK_BYTES, file.written - file.drained);
      chunk = Buffer.alloc(length);
      const { bytesRead } = await handle.read(chunk, 0, length, file.drained);
      chunk = chunk.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    let consumed = 0;
    let lines: Buffer[] = [];
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, consumed)) {
      lines.push(chunk.subarray(consumed, end));
      consumed = end + 1;
      if (lines.length === BATCHES_PER_APPLY) {
        await this.applyLines(file, lines, apply);
        lines = [];
      }
    }
    if (lines.length) await this.applyLines(file, lines, apply);
    // A line longer than a chunk: read it whole. (Files end with a whole line: `written` stops there.)
    if (consumed === 0) await this.drainLongLine(file, apply);
  }

  private async applyLines(file: SpoolFile, lines: Buffer[], apply: ApplyBatches): Promise<void> {
    const batches = lines.map((line) => parseBatch(line.toString('utf8'))).filter((batch) => batch !== undefined);
    if (batches.length) await apply(batches);
    for (const batch of batches) file.rows = Math.max(0, file.rows - batch.requests.length);
    for (const line of lines) file.drained += line.length + 1;
  }

  private async drainLongLine(file: SpoolFile, apply: ApplyBatches): Promise<void> {
    const handle = await open(file.path, 'r');
    let rest: Buffer;
    try {
      rest = Buffer.alloc(file.written - file.drained);
      await handle.read(rest, 0, rest.length, file.drained);
    } finally {
      await handle.close();
    }
    const end = rest.indexOf(10);
    await this.applyLines(file, [rest.subarray(0, end === -1 ? rest.length : end)], apply);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

function parseBatch(text: string): LedgerBatch | undefined {
  try {
    const batch = JSON.parse(text) as LedgerBatch;
    return typeof batch.id === 'string' && Array.isArray(batch.requests) && Array.isArray(batch.refusals) ? batch : undefined;
  } catch {
    return undefined;
  }
}

async function countRows(path: string): Promise<{ rows: number; size: number }> {
  const handle = await open(path, 'r');
  try {
    const text = await handle.readFile('utf8');
    let rows = 0;
    const whole = text.slice(0, text.lastIndexOf('\n') + 1);
    for (const line of whole.split('\n')) if (line) rows += parseBatch(line)?.requests.length ?? 0;
    return { rows, size: Buffer.byteLength(whole) };
  } finally {
    await handle.close();
  }
}

/** Makes a new file's name durable: syncing the file alone does not sync its directory entry. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
