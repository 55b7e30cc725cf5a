import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { Authenticator } from '../policy/auth/authenticate.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Who may scrape `/metrics`: anyone while auth is off (loopback use); with auth on, the admin
 * key or the metrics token (so a Prometheus server needs no admin key). A virtual key may not:
 * the figures are the whole gateway's.
 */
export class MetricsAccess {
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    private readonly auth: Authenticator,
    tokenEnv: string,
    env: Record<string, string | undefined>,
  ) {
    const token = env[tokenEnv];
    this.tokenDigest = token ? digest(token) : undefined;
  }

  async check(headers: IncomingHttpHeaders, url: string): Promise<void> {
    if (!(await this.auth.authRequired())) return;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.authorization ?? '');
    if (match && this.tokenDigest && timingSafeEqual(digest(match[1]!), this.tokenDigest)) return;
    const principal = await this.auth.authenticate(headers, url);
    if (!principal.admin && principal.kind !== 'admin') {
      throw new GatewayError('forbidden', '/metrics needs the admin key or the metrics token (telemetry.metricsTokenEnv)');
    }
  }
}
