import { createRemoteJWKSet, decodeJwt, errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey, RemoteJWKSet } from 'jose';
import type { IssuerConfig } from '../../config/schema.js';
import type { Limits, Principal } from '../types.js';
import { IssuerKeysUnavailable, quote, toUnauthorized, unauthorized } from './jwt-errors.js';

/**
 * Callers authenticated by a JWT from a configured OIDC issuer. The issuer is picked by the
 * token's `iss` claim, but everything security-relevant comes from config: the JWKS URL (never a
 * `jku`/`x5u` header), the audience, and the limits. Only asymmetric algorithms are accepted, so
 * a public key can never double as an HMAC secret and `alg: none` never verifies.
 */

export const acceptedAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export interface JwtVerifierOptions {
  /** Leeway for `exp`/`nbf` against clock skew between us and the issuer. Default 30. */
  clockToleranceSeconds?: number;
  /** The time tokens are checked against (tests). Does not move jose's JWKS cache clock. */
  now?: () => Date;
  /** Tuning of the per-issuer JWKS cache (jose's `createRemoteJWKSet`). */
  jwks?: {
    /** Deadline of one JWKS fetch. Default 5000. */
    timeoutMs?: number;
    /** After a fetch, how long an unknown `kid` waits before it may trigger a refetch. Default 30000. */
    cooldownMs?: number;
    /** How long fetched keys are used before a refetch. Default 600000. */
    cacheMaxAgeMs?: number;
  };
}

export interface JwtVerifier {
  /**
   * Verifies a JWT against the issuer named in its `iss` claim; returns the caller. `audience`,
   * when given, replaces the issuer's configured one (a protected resource names its own).
   */
  verify(token: string, audience?: string): Promise<Principal>;
  /** True when the token looks like a JWT (three base64url segments) for a configured issuer — cheap, no crypto. */
  handles(token: string): boolean;
}

/** Anything longer is not a token we will parse; real access tokens are a few KiB at most. */
const maxTokenLength = 64 * 1024;
/** Header.payload.signature; the signature may be empty so that `alg: none` tokens are ours to refuse. */
const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

interface IssuerEntry {
  config: IssuerConfig;
  keys: JWTVerifyGetKey;
}

export function createJwtVerifier(issuers: IssuerConfig[], options: JwtVerifierOptions = {}): JwtVerifier {
  const clockTolerance = options.clockToleranceSeconds ?? 30;
  const now = options.now ?? (() => new Date());
  const keySets = new Map<string, RemoteJWKSet>();
  const entries = new Map<string, IssuerEntry>();

  for (const config of issuers) {
    // The first entry for an issuer wins; config validation is where duplicates belong.
    if (entries.has(config.issuer)) continue;
    let keySet = keySets.get(config.jwksUrl);
    if (!keySet) {
      keySet = createRemoteJWKSet(new URL(config.jwksUrl), {
        timeoutDuration: options.jwks?.timeoutMs,
        cooldownDuration: options.jwks?.cooldownMs,
        cacheMaxAge: options.jwks?.cacheMaxAgeMs,
      });
      keySets.set(config.jwksUrl, keySet);
    }
    entries.set(config.issuer, { config, keys: keyResolver(config.issuer, keySet) });
  }

  function unverifiedClaims(token: string): JWTPayload | undefined {
    if (token.length > maxTokenLength || !compactJws.test(token)) return undefined;
    try {
      return decodeJwt(token);
    } catch {
      return undefined;
    }
  }

  return {
    handles(token) {
      const iss = unverifiedClaims(token)?.iss;
      return typeof iss === 'string' && entries.has(iss);
    },

    async verify(token, audience) {
      const claims = unverifiedClaims(token);
      if (!claims) throw unauthorized('the bearer token is not a well-formed JWT');
      if (typeof claims.iss !== 'string' || claims.iss === '') throw unauthorized('the token names no issuer (iss)');
      const entry = entries.get(claims.iss);
      if (!entry) throw unauthorized(`tokens from issuer ${quote(claims.iss)} are not accepted`);
      const { config } = entry;

      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, entry.keys, {
          issuer: config.issuer,
          audience: audience ?? config.audience,
          algorithms: [...acceptedAlgorithms],
          clockTolerance,
          currentDate: now(),
          // A token without an expiry would be a credential that never dies.
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (error) {
        if (audience !== undefined && error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') {
          throw unauthorized(`the token was not issued for this resource: its audience (aud) must name ${quote(audience)}`);
        }
        throw toUnauthorized(error, config.issuer);
      }
      return toPrincipal(payload, config);
    },
  };
}

/** Wraps the JWKS so that "could not get the keys" is told apart from "the token is wrong". */
function keyResolver(issuer: string, keySet: RemoteJWKSet): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new IssuerKeysUnavailable(issuer);
    }
  };
}

function toPrincipal(payload: JWTPayload, config: IssuerConfig): Principal {
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub === '') throw unauthorized('the token has no subject (sub)');
  const userClaim = config.userClaim || 'sub';
  const user = claimString(payload[userClaim]);
  if (user === undefined) throw unauthorized(`the token has no ${quote(userClaim)} claim naming the user`);
  return {
    kind: 'jwt',
    keyId: `jwt:${config.issuer}#${sub}`,
    keyName: sub,
    user,
    tags: config.tagsClaim ? claimTags(payload[config.tagsClaim]) : [],
    admin: false,
    limits: issuerLimits(config),
  };
}

function claimString(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  // Some issuers number their users (GitHub ids, for one).
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function claimTags(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value) && value.every((tag): tag is string => typeof tag === 'string')) return [...value];
  return [];
}

function issuerLimits(config: IssuerConfig): Limits {
  const limits: Limits = {};
  if (config.budgetUsd !== undefined) limits.budget = { limitUsd: config.budgetUsd, period: config.budgetPeriod ?? 'month' };
  if (config.models) limits.models = [...config.models];
  if (config.providers) limits.providers = [...config.providers];
  if (config.rpm !== undefined) limits.rpm = config.rpm;
  if (config.tpm !== undefined) limits.tpm = config.tpm;
  return limits;
}
