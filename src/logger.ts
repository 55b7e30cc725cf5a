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

/** Lines wait at most this long to be written when too few come to fill a block. */
const GATHER_MS = 100;

/**
 * JSON lines are gathered and written in blocks, not one write per line: under load a write per
 * access-log line cost more CPU than the rest of the log and metrics together (each is a hand-off
 * to the thread pool). A block is written once it holds 32 KiB, and whatever is gathered every 100 ms; what is still
 * gathered is written when the process exits.
 */
function gatheredStderr(): DestinationStream {
  return pino.destination({ fd: 2, sync: false, minLength: 32 * 1024, maxWrite: 64 * 1024, periodicFlush: GATHER_MS });
}

/** pino-pretty in this thread (no worker), loaded only when wanted. */
function prettyStream(): DestinationStream {
  const pretty = require('pino-pretty') as (options: object) => DestinationStream;
  return pretty({ destination: 2, sync: false, colorize: process.stderr.isTTY === true, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss.l' });
}

export type { Logger };
