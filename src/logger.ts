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

/** Streams that print for people: lines built by hand must not bypass pino on their way there. */
const prettyStreams = new WeakSet<object>();

/** pino-pretty in this thread (no worker), loaded only when wanted. */
function prettyStream(): DestinationStream {
  const pretty = require('pino-pretty') as (options: object) => DestinationStream;
  const stream = pretty({ destination: 2, sync: false, colorize: process.stderr.isTTY === true, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss.l' });
  prettyStreams.add(stream);
  return stream;
}

/**
 * A logger's JSON-line output, for a line of fixed shape built by hand: pino's serialiser, which
 * walks an object and picks a stringifier for each value, cost more per access-log line than
 * building it. A line written here is what pino would write, field for field: the same level,
 * time and bindings first, and the message last.
 */
export interface JsonLines {
  /** The start of a line at `level`: `{"level":…,"time":…` and the logger's bindings. */
  start(level: number): string;
  /** The message and the line's end. */
  end(message: string): string;
  write(line: string): void;
}

interface PinoInternals {
  [key: symbol]: unknown;
}

/**
 * The JSON lines of `logger`, or null when they are not plain: pretty output, or a logger whose
 * lines pino shapes in ways a line built by hand would miss (a mixin, hooks, formatters of logged
 * objects, serialisers other than the error's, redaction, a nested key, a message prefix).
 */
export function jsonLines(logger: Logger): JsonLines | null {
  const s = pino.symbols;
  // Not in pino's types, though pino sets it on a child with a message prefix.
  const msgPrefixSym = (s as unknown as Record<string, symbol | undefined>).msgPrefixSym;
  const internals = logger as unknown as PinoInternals;
  const stream = internals[s.streamSym] as (DestinationStream & PinoInternals) | undefined;
  const hooks = internals[s.hooksSym] as { logMethod?: unknown; streamWrite?: unknown } | undefined;
  const formatters = internals[s.formattersSym] as { log?: unknown } | undefined;
  const serializers = internals[s.serializersSym] as Record<string, unknown> | undefined;
  const stringifiers = internals[s.stringifiersSym] as Record<string | symbol, unknown> | undefined;
  const levels = internals[s.lsCacheSym] as Record<number, string> | undefined;
  const time = internals[s.timeSym] as (() => string) | undefined;
  const chindings = internals[s.chindingsSym];
  const messageKey = internals[s.messageKeySym];
  const lineEnd = internals[s.endSym];
  const plain =
    stream !== undefined &&
    typeof stream.write === 'function' &&
    !prettyStreams.has(stream) &&
    stream[s.needsMetadataGsym] !== true &&
    internals[s.mixinSym] === undefined &&
    hooks !== undefined &&
    hooks.logMethod === undefined &&
    hooks.streamWrite === undefined &&
    formatters !== undefined &&
    formatters.log === undefined &&
    serializers !== undefined &&
    Object.keys(serializers).every((key) => key === 'err') &&
    (stringifiers === undefined || (Object.keys(stringifiers).length === 0 && stringifiers[s.wildcardFirstSym] === undefined)) &&
    !internals[s.nestedKeySym] &&
    (msgPrefixSym === undefined || !internals[msgPrefixSym]) &&
    levels !== undefined &&
    typeof time === 'function' &&
    typeof chindings === 'string' &&
    typeof messageKey === 'string' &&
    typeof lineEnd === 'string';
  if (!plain) return null;
  const key = `,${JSON.stringify(messageKey)}:`;
  return {
    start: (level) => levels[level]! + time.call(logger) + chindings,
    end: (message) => key + JSON.stringify(message) + lineEnd,
    write: (line) => {
      stream.write(line);
    },
  };
}

export type { Logger };
