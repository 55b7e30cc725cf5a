/**
 * A gateway reachable from other machines must not be open to them: binding to anything but
 * loopback needs some way to authenticate callers (a key, an issuer or the admin key).
 */
import { isIP } from 'node:net';

/** Refused start-up: the CLI prints the message and exits with code 2. */
export class UnsafeBindError extends Error {
  override name = 'UnsafeBindError';
}

export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (lower === 'localhost' || lower === '::1') return true;
  return isIP(lower) === 4 && lower.startsWith('127.');
}

export function assertSafeBind(host: string, authRequired: boolean, adminKeyEnv: string): void {
  if (isLoopbackHost(host) || authRequired) return;
  throw new UnsafeBindError(
    `refusing to listen on ${host}: it is reachable from other machines and no authentication is configured. ` +
      `Create a key first (\`tollgate keys create --name NAME\`), set ${adminKeyEnv}, configure auth.issuers, ` +
      `or listen on 127.0.0.1.`,
  );
}
