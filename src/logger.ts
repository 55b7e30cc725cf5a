import pino, { type Logger } from 'pino';

/**
 * Logs go to stderr (stdout belongs to the MCP stdio protocol). Anything that could hold a
 * secret is redacted by path, though we never log request headers or provider config.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: 'tollgate' },
      redact: {
        paths: ['apiKey', '*.apiKey', 'apiKeys', '*.apiKeys', 'authorization', '*.authorization', 'headers', '*.headers', 'config.providers'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

export type { Logger };
