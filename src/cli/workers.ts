/**
 * `tollgate serve --workers N`: a primary process that forks N workers (node:cluster) on one
 * port and stops them together. Each worker is a whole gateway; they share budgets, rate
 * limits, breakers and idempotency keys through Redis, which is why more than one needs it.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';

/** Sent by a worker once it listens. */
export interface ListeningMessage {
  kind: 'tollgate:listening';
  /** The lines the primary prints once every worker listens. */
  banner: string;
}

/** Sent by the primary: `level` 1 drains, 2 ends what is left now (with `exitCode`). */
export interface StopMessage {
  kind: 'tollgate:stop';
  level: number;
  exitCode: number;
}

export class WorkerCountError extends Error {
  override name = 'WorkerCountError';
}

/** `--workers N|auto`: a whole number from 1, or one per CPU the process may use. */
export function parseWorkerCount(text: string | undefined): number {
  if (text === undefined) return 1;
  if (text === 'auto') return availableParallelism();
  const count = Number(text);
  if (!/^\d+$/.test(text.trim()) || count < 1 || count > 1024) throw new WorkerCountError(`--workers must be a whole number from 1 to 1024, or auto (got "${text}")`);
  return count;
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

export interface PrimaryOptions {
  count: number;
  /** Once every worker listens: the start-up lines of the last one (they share the address). */
  onListening(banner: string): void;
  write(line: string): void;
}

/**
 * Runs the primary: forks the workers, restarts one that dies while serving, and on SIGTERM or
 * SIGINT asks every worker to drain (a second signal: to end at once) and exits once all have,
 * with 0 after a drain or 128 + the signal after a second one.
 */
export function runPrimary(options: PrimaryOptions): void {
  let listening = 0;
  let everyoneListened = false;
  let stopLevel = 0;
  let exitCode = 0;
  const started = new Set<Worker>();

  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (message: ListeningMessage) => {
      if (message?.kind !== 'tollgate:listening' || started.has(worker)) return;
      started.add(worker);
      listening += 1;
      if (!everyoneListened && listening === options.count) {
        everyoneListened = true;
        options.onListening(message.banner);
      }
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    started.delete(worker);
    if (stopLevel > 0) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
      return;
    }
    if (!everyoneListened) {
      // A worker that cannot start (port in use, a bad data folder) would fail again: stop them all.
      options.write(`tollgate: a worker exited with ${signal ?? code} before listening; stopping`);
      for (const other of Object.values(cluster.workers ?? {})) other?.kill('SIGKILL');
      process.exit(typeof code === 'number' && code > 0 ? code : 1);
    }
    options.write(`tollgate: worker ${worker.process.pid} exited with ${signal ?? code}; starting another`);
    listening -= 1;
    fork();
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopLevel += 1;
      if (stopLevel > 1) exitCode = 128 + SIGNAL_NUMBERS[signal];
      if (stopLevel === 1) options.write(`tollgate: stopping ${Object.keys(cluster.workers ?? {}).length} workers; each lets its requests in flight finish`);
      const message: StopMessage = { kind: 'tollgate:stop', level: stopLevel, exitCode };
      for (const worker of Object.values(cluster.workers ?? {})) {
        if (worker?.isConnected()) worker.send(message);
      }
    });
  }
  for (let index = 0; index < options.count; index++) fork();
}

/** In a worker: the primary's stop requests, and the primary's end (the IPC channel closes). */
export function followPrimary(stop: { drain(): void; cut(exitCode: number): void }, banner: string): void {
  process.on('message', (message: StopMessage) => {
    if (message?.kind !== 'tollgate:stop') return;
    if (message.level === 1) stop.drain();
    else stop.cut(message.exitCode);
  });
  process.once('disconnect', () => stop.drain());
  const listening: ListeningMessage = { kind: 'tollgate:listening', banner };
  process.send?.(listening);
}
