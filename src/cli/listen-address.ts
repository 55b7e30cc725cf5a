/**
 * Where `tollgate serve` listens: `--port`/`--host`, else TOLLGATE_PORT (or PORT, which
 * platforms that start processes set) and TOLLGATE_HOST, else the config's `server.port`/`.host`.
 */
import type { Config } from '../config/schema.js';

export interface ListenAddress {
  port: number;
  host: string;
}

/** A bad port in a flag or the environment: the CLI prints the message and exits with code 2. */
export class ListenAddressError extends Error {
  override name = 'ListenAddressError';
}

export function resolveListenAddress(
  flags: { port?: string | undefined; host?: string | undefined },
  config: Config,
  env: Record<string, string | undefined> = process.env,
): ListenAddress {
  const portSource = [
    ['--port', flags.port],
    ['TOLLGATE_PORT', env.TOLLGATE_PORT],
    ['PORT', env.PORT],
  ].find(([, value]) => value !== undefined && value !== '');
  let port = config.server.port;
  if (portSource) {
    const [name, text] = portSource as [string, string];
    port = Number(text);
    if (!/^\d+$/.test(text.trim()) || port > 65535) throw new ListenAddressError(`${name} must be a whole number from 0 to 65535 (got "${text}")`);
  }
  const host = flags.host || env.TOLLGATE_HOST || config.server.host;
  return { port, host };
}
