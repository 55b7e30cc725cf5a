import { errors } from 'jose';
import { GatewayError } from '../../core/errors.js';

/**
 * Turns whatever went wrong while verifying a token into a 401 an operator or client can act on.
 * Messages name the claim or the issuer at fault, never the token: it is a credential.
 */

export function unauthorized(message: string): GatewayError {
  return new GatewayError('unauthorized', message);
}

/** Thrown by our key resolver wrapper when the issuer's JWKS could not be fetched or read. */
export class IssuerKeysUnavailable extends Error {
  constructor(readonly issuer: string) {
    super(`the signing keys of issuer ${quote(issuer)} could not be fetched`);
    this.name = 'IssuerKeysUnavailable';
  }
}

/** Values that came from the token are shown quoted and cut short. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}

const claimMessages: Record<string, string> = {
  nbf: 'the token is not yet valid',
  exp: 'the token has no expiry (exp)',
  aud: 'the token was not issued for this gateway (audience mismatch)',
  iss: 'the token was not issued by an accepted issuer',
  iat: 'the token has an invalid issued-at time (iat)',
  sub: 'the token has no subject (sub)',
};

export function toUnauthorized(error: unknown, issuer: string): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof IssuerKeysUnavailable) return unauthorized(error.message);
  if (error instanceof errors.JWTExpired) return unauthorized('the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const known = claimMessages[error.claim];
    if (known && !(error.claim === 'exp' && error.reason !== 'missing')) return unauthorized(known);
    return unauthorized(`the token's ${quote(error.claim)} claim is invalid`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return unauthorized('the token is not signed with an accepted algorithm (RS*, PS*, ES*, EdDSA)');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return unauthorized('the token signature is invalid');
  if (error instanceof errors.JWKSNoMatchingKey) {
    return unauthorized(`no signing key of issuer ${quote(issuer)} matches the token (unknown key id or algorithm)`);
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return unauthorized(`several signing keys of issuer ${quote(issuer)} match the token; it must name its key (kid)`);
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return unauthorized('the bearer token is not a well-formed JWT');
  }
  if (error instanceof errors.JOSENotSupported) return unauthorized('the token uses a feature this gateway does not support');
  return unauthorized('the token could not be verified');
}
