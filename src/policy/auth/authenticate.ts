/**
 * Who is calling: the admin key, a virtual key (`tg_…`), a JWT from a configured issuer, or
 * nobody. Auth is required as soon as anything could authenticate a caller (a live key, an
 * issuer, an admin key); until then every request is the anonymous principal, as on a laptop.
 * Error messages say what to send and never repeat what was sent.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../../config/schema.js';
import { GatewayError } from '../../core/errors.js';
import { anonymousPrincipal, type Limits, type Principal } from '../types.js';
import { MCP_PATH, pathOf, type ProtectedResource } from './protected-resource.js';
import type { KeyRecord, KeyStore } from '../../store/types.js';

export interface TokenVerifier {
  verify(token: string, audience?: string): Promise<Principal>;
}

export interface AuthenticatorOptions {
  keys: KeyStore;
  config: Config;
  /** Where the admin key is read from (`config.auth.adminKeyEnv`); default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Verifies JWTs from `config.auth.issuers`. */
  jwt?: TokenVerifier;
  /** `/mcp` as a protected resource: its JWTs must name it as their audience. */
  mcpResource?: ProtectedResource;
  /**
   * Require a credential even when nothing is configured (a server reachable from other
   * machines): revoking the last key then locks the gateway instead of opening it.
   */
  failClosed?: boolean;
}

export interface Authenticator {
  /** The caller of a request, from its headers; throws `unauthorized` or `invalid_request`. */
  authenticate(headers: IncomingHttpHeaders, url: string): Promise<Principal>;
  /** True when a request without a valid credential is refused. */
  authRequired(): Promise<boolean>;
}

/** Query parameters that would carry a secret into access logs, proxies and browser history. */
const SECRET_QUERY_PARAMS = new Set(['api_key', 'apikey', 'api-key', 'key', 'token', 'access_token', 'auth', 'authorization']);

const HOW_TO_SEND = 'send "Authorization: Bearer <key>" (or "x-api-key: <key>") with a Tollgate key (create one with `tollgate keys create --name NAME`)';

export const adminPrincipal: Principal = {
  kind: 'admin',
  keyId: null,
  keyName: null,
  user: null,
  tags: [],
  admin: true,
  limits: {},
};

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { keys, config, jwt } = options;
  const env = options.env ?? process.env;
  const adminKey = env[config.auth.adminKeyEnv];
  // Digests have equal length whatever was presented, so the comparison leaks nothing about length.
  const adminDigest = adminKey ? digest(adminKey) : undefined;
  const issuers = config.auth.issuers.length > 0;

  const authRequired = async (): Promise<boolean> => options.failClosed === true || (await authConfigured(options));

  return {
    authRequired,

    async authenticate(headers, url) {
      refuseSecretInQuery(url);
      const token = presentedToken(headers);
      if (token !== undefined && adminDigest && timingSafeEqual(digest(token), adminDigest)) return adminPrincipal;
      // A Tollgate key is always checked: a revoked one is refused even after the last live key is gone.
      if (token?.startsWith('tg_')) {
        const record = await keys.findByKey(token);
        if (!record) throw new GatewayError('unauthorized', `the API key is not valid: it is unknown, revoked or expired; ${HOW_TO_SEND}`);
        return keyPrincipal(record);
      }
      // With nothing configured, whatever else a client sends (`Bearer unused`) is ignored.
      if (!(await authRequired())) return anonymousPrincipal;
      if (token === undefined) {
        const otherScheme = headers.authorization !== undefined && !/^Bearer\b/i.test(headers.authorization);
        throw new GatewayError('unauthorized', otherScheme ? `the Authorization header must use the Bearer scheme; ${HOW_TO_SEND}` : `this gateway requires an API key: ${HOW_TO_SEND}`);
      }
      if (issuers && isJwtShaped(token)) {
        if (!jwt) throw new GatewayError('unauthorized', 'JWT authentication is configured (auth.issuers) but not available in this server; use a Tollgate key');
        try {
          const audience = options.mcpResource && pathOf(url) === MCP_PATH ? options.mcpResource.resourceFor(headers) : undefined;
          return await jwt.verify(token, audience);
        } catch (error) {
          if (error instanceof GatewayError) throw error;
          throw new GatewayError('unauthorized', 'the bearer token could not be verified');
        }
      }
      throw new GatewayError('unauthorized', `the credential is not a Tollgate key${issuers ? ' or a JWT from a configured issuer' : ''}; ${HOW_TO_SEND}`);
    },
  };
}

/** True once anything can authenticate a caller: the admin key, an issuer, or a key not revoked. */
export async function authConfigured(options: Pick<AuthenticatorOptions, 'keys' | 'config' | 'env'>): Promise<boolean> {
  const env = options.env ?? process.env;
  return Boolean(env[options.config.auth.adminKeyEnv]) || options.config.auth.issuers.length > 0 || (await options.keys.hasActiveKeys());
}

/** The principal of a live key: its id, name, user, tags and limits. */
export function keyPrincipal(record: KeyRecord): Principal {
  const limits: Limits = {};
  if (record.budgetUsd !== null) limits.budget = { limitUsd: record.budgetUsd, period: record.budgetPeriod };
  if (record.models !== null) limits.models = record.models;
  if (record.providers !== null) limits.providers = record.providers;
  if (record.rpm !== null) limits.rpm = record.rpm;
  if (record.tpm !== null) limits.tpm = record.tpm;
  if (!record.allowByok) limits.byok = false;
  return {
    kind: 'key',
    keyId: record.id,
    keyName: record.name,
    user: record.user,
    tags: record.tags,
    admin: false,
    limits,
    ...(record.allowUserOverride ? { allowUserOverride: true } : {}),
  };
}

/** `Authorization: Bearer <token>` (OpenAI clients) or `x-api-key: <token>` (Anthropic clients). */
function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match) return match[1];
  }
  const apiKey = headers['x-api-key'];
  const value = Array.isArray(apiKey) ? apiKey[0] : apiKey;
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function refuseSecretInQuery(url: string): void {
  const query = url.indexOf('?');
  if (query === -1) return;
  for (const name of new URLSearchParams(url.slice(query + 1)).keys()) {
    if (SECRET_QUERY_PARAMS.has(name.toLowerCase())) {
      // The parameter's name only: its value is a secret that is now in someone's logs.
      throw new GatewayError(
        'invalid_request',
        `credentials are not accepted in the URL (query parameter "${name}"); send them in the Authorization header ("Authorization: Bearer <key>") or x-api-key, and replace that key since URLs end up in logs`,
        { param: name },
      );
    }
  }
}

function isJwtShaped(token: string): boolean {
  return token.split('.').length === 3;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
