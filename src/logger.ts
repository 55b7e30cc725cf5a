import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';

const require = createRequire(import.meta.url);

/** Human-readable lines on a terminal or when asked for; JSON lines otherwise (what log shippers read). */
export function prettyLogs(env: Record<string, string | undefined> = process.env, stderrIsTty = process.stderr.isTTY === true): boolean {
  const format = env.TOLLGATE_LOG_FORMAT;
  if (format === 'json') return false;
  return format === 'pretty' || stderrIsTty;
}

/**
 * Logs go to stderr (stdout belongs to the MCP stdio protocol). Anything that could hold a
 * secret is redacted by path, though we never log request headers or provider config.
 */
export function createLogger(level: string, options: { pretty?: boolean } = {}): Logger {
  const pretty = level !== 'silent' && (options.pretty ?? prettyLogs());
  return pino(
    {
      level,
      base: { service: 'tollgate' },
      redact: {
        paths: ['apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers', '*.headers', 'config.providers'],
        censor: '[redacted]',
      },
    },
    pretty ? prettyStream() : gatheredStderr(),
  );
}

/** A block is written once it holds this many characters… */
const BLOCK_CHARS = 32 * 1024;
/** …or once its first line has waited this long. */
const GATHER_MS = 100;

/**
 * JSON lines are gathered and written to stderr in blocks, not one write per line: under load a
 * write per access-log line cost more CPU than the rest of the log and metrics together (each is
 * a hand-off to the thread pool). Lines are kept in a list until a block is due, as appending
 * each to one growing string made the writer measure that whole string again for every line.
 * What is still gathered is written when the process exits. Every logger of the process shares
 * this one, so lines keep their order.
 */
class GatheredStderr implements DestinationStream {
  private readonly out = pino.destination({ fd: 2, sync: false });
  private lines: string[] = [];
  private chars = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    // No event loop is left at exit: what is queued and what is gathered are written at once.
    process.once('exit', () => {
      this.out.flushSync();
      if (this.chars > 0) pino.destination({ fd: 2, sync: true }).write(this.take());
    });
  }

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= BLOCK_CHARS) this.pass();
    else this.timer ??= setTimeout(() => this.pass(), GATHER_MS).unref();
  }

  /** pino's `logger.flush()`: writes what is gathered. */
  flush(callback?: (error?: Error) => void): void {
    this.pass();
    this.out.flush(callback);
  }

  private pass(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.chars > 0) this.out.write(this.take());
  }

  private take(): string {
    const block = this.lines.join('');
    this.lines = [];
    this.chars = 0;
    return block;
  }
}

let stderrLines: GatheredStderr | undefined;

function gatheredStderr(): DestinationStream {
  return (stderrLines ??= new GatheredStderr());
}

/** pino-pretty in this thread (no worker), loaded only when wanted. */
function prettyStream(): DestinationStream {
  const pretty = require('pino-pretty') as (options: object) => DestinationStream;
  return pretty({ destination: 2, sync: false, colorize: process.stderr.isTTY === true, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss.l' });
}

export type { Logger };
