import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IssuerConfig, type IssuerConfig as IssuerConfigType } from '../../../src/config/schema.js';
import { GatewayError } from '../../../src/core/errors.js';
import { createJwtVerifier, type JwtVerifierOptions } from '../../../src/policy/auth/jwt.js';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

interface Signer {
  kid: string;
  privateKey: SigningKey;
  jwk: JWK;
}

async function newSigner(kid: string, alg = 'RS256'): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, privateKey, jwk };
}

/** A real JWKS endpoint whose keys, status and liveness each test can change. */
interface JwksServer {
  url: string;
  keys: JWK[];
  mode: 'ok' | 'error' | 'hang';
  requests: number;
  close(): Promise<void>;
}

async function startJwksServer(keys: JWK[] = []): Promise<JwksServer> {
  const hanging: ServerResponse[] = [];
  const state = { keys, mode: 'ok' as JwksServer['mode'], requests: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests += 1;
    if (state.mode === 'hang') {
      hanging.push(res);
      return;
    }
    if (state.mode === 'error') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  }) as JwksServer;
}

/** A URL on which nothing listens: a port we bound and released. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/jwks.json`;
}

const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'tollgate';

function issuer(overrides: Partial<IssuerConfigType> & { jwksUrl: string }): IssuerConfigType {
  return IssuerConfig.parse({ issuer: ISSUER, audience: AUDIENCE, ...overrides });
}

interface TokenOptions {
  signer: Signer;
  claims?: Record<string, unknown>;
  iss?: string | null;
  aud?: string | string[] | null;
  sub?: string | null;
  exp?: number | string | null;
  nbf?: number | string;
  header?: Record<string, unknown>;
}

async function sign(options: TokenOptions): Promise<string> {
  const { signer } = options;
  const jwt = new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg: signer.jwk.alg as string, kid: signer.kid, typ: 'JWT', ...options.header })
    .setIssuedAt();
  if (options.iss !== null) jwt.setIssuer(options.iss ?? ISSUER);
  if (options.aud !== null) jwt.setAudience(options.aud ?? AUDIENCE);
  if (options.sub !== null) jwt.setSubject(options.sub ?? 'user-123');
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? '5m');
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(options.signer.privateKey);
}

/** Runs `verify` expecting a 401 and returns the message, checking it never leaks the token. */
async function rejection(verify: (token: string) => Promise<unknown>, token: string): Promise<string> {
  const error = await verify(token).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error, 'the token should have been refused').toBeInstanceOf(GatewayError);
  const gatewayError = error as GatewayError;
  expect(gatewayError.kind).toBe('unauthorized');
  expect(gatewayError.status).toBe(401);
  if (token.length > 8) expect(gatewayError.message).not.toContain(token);
  for (const segment of token.split('.')) {
    if (segment.length > 8) expect(gatewayError.message).not.toContain(segment);
  }
  return gatewayError.message;
}

const seconds = (n: number) => Math.floor(Date.now() / 1000) + n;

describe('JWT verifier', () => {
  let jwks: JwksServer;
  let signer: Signer;
  let stranger: Signer;
  const extraServers: JwksServer[] = [];

  beforeAll(async () => {
    signer = await newSigner('key-1');
    stranger = await newSigner('key-1');
    jwks = await startJwksServer([signer.jwk]);
  });

  afterEach(async () => {
    jwks.keys = [signer.jwk];
    jwks.mode = 'ok';
    await Promise.all(extraServers.splice(0).map((server) => server.close()));
  });

  afterAll(async () => {
    await jwks.close();
  });

  function verifier(overrides: Partial<IssuerConfigType> = {}, options?: JwtVerifierOptions) {
    return createJwtVerifier([issuer({ jwksUrl: jwks.url, ...overrides })], options);
  }

  describe('a valid token', () => {
    it('becomes a jwt principal with the user, tags and limits the issuer config names', async () => {
      const auth = verifier({
        userClaim: 'email',
        tagsClaim: 'groups',
        budgetUsd: 25,
        budgetPeriod: 'week',
        models: ['openai/*'],
        providers: ['openai'],
        rpm: 60,
        tpm: 100_000,
      });
      const token = await sign({ signer, claims: { email: 'ada@example.test', groups: ['research', 'ml'] } });

      await expect(auth.verify(token)).resolves.toEqual({
        kind: 'jwt',
        keyId: `jwt:${ISSUER}#user-123`,
        keyName: 'user-123',
        user: 'ada@example.test',
        tags: ['research', 'ml'],
        admin: false,
        limits: {
          budget: { limitUsd: 25, period: 'week' },
          models: ['openai/*'],
          providers: ['openai'],
          rpm: 60,
          tpm: 100_000,
        },
      });
    });

    it('names the user by sub by default, has no tags without a tagsClaim, and no limits when none are set', async () => {
      const token = await sign({ signer, claims: { groups: ['ignored'] } });
      await expect(verifier().verify(token)).resolves.toEqual({
        kind: 'jwt',
        keyId: `jwt:${ISSUER}#user-123`,
        keyName: 'user-123',
        user: 'user-123',
        tags: [],
        admin: false,
        limits: {},
      });
    });

    it('applies the default monthly period to an issuer budget', async () => {
      const principal = await verifier({ budgetUsd: 5 }).verify(await sign({ signer }));
      expect(principal.limits).toEqual({ budget: { limitUsd: 5, period: 'month' } });
    });

    it.each([
      ['a string', 'team-a', ['team-a']],
      ['an array of strings', ['a', 'b'], ['a', 'b']],
      ['an empty string', '', []],
      ['a number', 7, []],
      ['an array with a non-string', ['a', 1], []],
      ['an object', { team: 'a' }, []],
    ])('reads tags from a claim holding %s', async (_label, value, expected) => {
      const principal = await verifier({ tagsClaim: 'team' }).verify(await sign({ signer, claims: { team: value } }));
      expect(principal.tags).toEqual(expected);
    });

    it('accepts a token whose aud lists this gateway among others, and an issuer with several audiences', async () => {
      await expect(verifier().verify(await sign({ signer, aud: ['other', AUDIENCE] }))).resolves.toMatchObject({ kind: 'jwt' });
      await expect(verifier({ audience: ['a', AUDIENCE] }).verify(await sign({ signer }))).resolves.toMatchObject({ kind: 'jwt' });
    });

    it('accepts EC and EdDSA keys as well as RSA', async () => {
      const ec = await newSigner('ec-1', 'ES256');
      const ed = await newSigner('ed-1', 'EdDSA');
      jwks.keys = [signer.jwk, ec.jwk, ed.jwk];
      const auth = verifier();
      await expect(auth.verify(await sign({ signer: ec }))).resolves.toMatchObject({ user: 'user-123' });
      await expect(auth.verify(await sign({ signer: ed }))).resolves.toMatchObject({ user: 'user-123' });
    });

    it('picks the issuer by iss among several configured ones', async () => {
      const other = await newSigner('other-1');
      const otherJwks = await startJwksServer([other.jwk]);
      extraServers.push(otherJwks);
      const auth = createJwtVerifier([
        issuer({ jwksUrl: jwks.url, tagsClaim: 'groups' }),
        IssuerConfig.parse({ issuer: 'https://other.example.test', jwksUrl: otherJwks.url, audience: 'gw', rpm: 5 }),
      ]);
      const principal = await auth.verify(await sign({ signer: other, iss: 'https://other.example.test', aud: 'gw', sub: 'svc' }));
      expect(principal).toMatchObject({ keyId: 'jwt:https://other.example.test#svc', limits: { rpm: 5 } });
    });

    it('fetches the JWKS once and serves later tokens from the cache', async () => {
      const auth = verifier();
      const before = jwks.requests;
      for (let i = 0; i < 3; i += 1) await auth.verify(await sign({ signer, sub: `user-${i}` }));
      expect(jwks.requests - before).toBe(1);
    });
  });

  describe('time', () => {
    it('refuses an expired token', async () => {
      const message = await rejection(verifier().verify, await sign({ signer, exp: seconds(-3600) }));
      expect(message).toBe('the token has expired');
    });

    it('refuses a token that is not yet valid', async () => {
      const message = await rejection(verifier().verify, await sign({ signer, nbf: seconds(3600) }));
      expect(message).toBe('the token is not yet valid');
    });

    it('allows 30 seconds of clock skew by default, and the tolerance is configurable', async () => {
      const token = await sign({ signer, exp: seconds(-10) });
      await expect(verifier().verify(token)).resolves.toMatchObject({ kind: 'jwt' });
      expect(await rejection(verifier({}, { clockToleranceSeconds: 0 }).verify, token)).toBe('the token has expired');
    });

    it('checks times against the injected clock', async () => {
      const token = await sign({ signer, exp: seconds(300) });
      const later = verifier({}, { now: () => new Date(Date.now() + 3600_000) });
      expect(await rejection(later.verify, token)).toBe('the token has expired');
    });

    it('refuses a token without an expiry', async () => {
      const message = await rejection(verifier().verify, await sign({ signer, exp: null }));
      expect(message).toContain('no expiry');
    });
  });

  describe('audience, issuer and subject', () => {
    it('refuses a token for another audience', async () => {
      const message = await rejection(verifier().verify, await sign({ signer, aud: 'someone-else' }));
      expect(message).toContain('audience');
    });

    it('refuses a token without an audience', async () => {
      await rejection(verifier().verify, await sign({ signer, aud: null }));
    });

    it('refuses a token from an issuer that is not configured, without fetching any keys', async () => {
      const auth = verifier();
      const before = jwks.requests;
      const message = await rejection(auth.verify, await sign({ signer, iss: 'https://evil.example.test' }));
      expect(message).toBe('tokens from issuer "https://evil.example.test" are not accepted');
      expect(jwks.requests).toBe(before);
    });

    it('refuses a token naming no issuer', async () => {
      expect(await rejection(verifier().verify, await sign({ signer, iss: null }))).toContain('no issuer');
    });

    it('refuses a token without a subject', async () => {
      expect(await rejection(verifier().verify, await sign({ signer, sub: null }))).toContain('no subject');
    });

    it('refuses a token lacking the claim that names the user', async () => {
      const message = await rejection(verifier({ userClaim: 'email' }).verify, await sign({ signer }));
      expect(message).toBe('the token has no "email" claim naming the user');
    });
  });

  describe('signatures and algorithms', () => {
    it('refuses a token signed by a key that is not in the JWKS, even under a known kid', async () => {
      const message = await rejection(verifier().verify, await sign({ signer: stranger }));
      expect(message).toBe('the token signature is invalid');
    });

    it('refuses a token signed by a key with an unknown kid', async () => {
      const unknown = await newSigner('key-unknown');
      const message = await rejection(verifier().verify, await sign({ signer: unknown }));
      expect(message).toContain('no signing key of issuer');
    });

    it('refuses alg "none" without fetching any keys', async () => {
      const auth = verifier();
      const before = jwks.requests;
      const token = new UnsecuredJWT({ sub: 'user-123' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').encode();
      expect(auth.handles(token)).toBe(true);
      const message = await rejection(auth.verify, token);
      expect(message).toContain('accepted algorithm');
      expect(jwks.requests).toBe(before);
    });

    it('refuses an HS256 token keyed with the public key material', async () => {
      // The classic confusion attack: an HMAC over the token using the issuer's public key as secret.
      const secret = new TextEncoder().encode(JSON.stringify(signer.jwk));
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', kid: signer.kid })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject('user-123')
        .setExpirationTime('5m')
        .sign(secret);
      expect(await rejection(verifier().verify, token)).toContain('accepted algorithm');
    });

    it('refuses a tampered payload', async () => {
      const token = await sign({ signer });
      const [header, , signature] = token.split('.');
      const forged = Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'admin', exp: seconds(300) })).toString('base64url');
      expect(await rejection(verifier().verify, `${header}.${forged}.${signature}`)).toBe('the token signature is invalid');
    });

    it('ignores jku and x5u headers: keys come only from the configured JWKS URL', async () => {
      const attacker = await newSigner('attacker-1');
      const attackerJwks = await startJwksServer([attacker.jwk]);
      extraServers.push(attackerJwks);
      const token = await sign({ signer: attacker, header: { jku: attackerJwks.url, x5u: attackerJwks.url } });
      await rejection(verifier().verify, token);
      expect(attackerJwks.requests).toBe(0);
    });
  });

  describe('malformed tokens', () => {
    it.each([
      ['empty', ''],
      ['an opaque key', 'tg_0123456789abcdef'],
      ['two segments', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0'],
      ['garbage segments', 'not!base64.at@all.nope'],
      ['undecodable JSON', 'aGVsbG8.d29ybGQ.c2ln'],
      ['five segments (a JWE)', 'a.b.c.d.e'],
      ['a huge token', `${'a'.repeat(70_000)}.b.c`],
    ])('refuses %s as not a well-formed JWT', async (_label, token) => {
      const auth = verifier();
      expect(auth.handles(token)).toBe(false);
      expect(await rejection(auth.verify, token)).toBe('the bearer token is not a well-formed JWT');
    });

    it('refuses a token whose header is not JSON', async () => {
      const token = await sign({ signer });
      const [, payload, signature] = token.split('.');
      await rejection(verifier().verify, `${Buffer.from('nope').toString('base64url')}.${payload}.${signature}`);
    });
  });

  describe('unreachable keys', () => {
    it('says the issuer keys could not be fetched when nothing listens at the JWKS URL', async () => {
      const auth = createJwtVerifier([issuer({ jwksUrl: await deadUrl() })]);
      const message = await rejection(auth.verify, await sign({ signer }));
      expect(message).toBe(`the signing keys of issuer "${ISSUER}" could not be fetched`);
    });

    it('says the same when the JWKS endpoint answers with an error', async () => {
      jwks.mode = 'error';
      const message = await rejection(verifier().verify, await sign({ signer }));
      expect(message).toContain('could not be fetched');
    });

    it('gives up on a JWKS endpoint that never answers within the fetch deadline', async () => {
      jwks.mode = 'hang';
      const message = await rejection(verifier({}, { jwks: { timeoutMs: 300 } }).verify, await sign({ signer }));
      expect(message).toContain('could not be fetched');
    }, 10_000);

    it('recovers once the JWKS endpoint is back', async () => {
      const auth = verifier();
      const token = await sign({ signer });
      jwks.mode = 'error';
      await rejection(auth.verify, token);
      jwks.mode = 'ok';
      await expect(auth.verify(token)).resolves.toMatchObject({ kind: 'jwt' });
    });
  });

  describe('key rotation', () => {
    it('verifies a token signed with a key the issuer added after the first fetch', async () => {
      const auth = verifier({}, { jwks: { cooldownMs: 0 } });
      await auth.verify(await sign({ signer }));
      const next = await newSigner('key-2');
      jwks.keys = [signer.jwk, next.jwk];
      await expect(auth.verify(await sign({ signer: next, sub: 'rotated' }))).resolves.toMatchObject({ keyName: 'rotated' });
      // The old key keeps working while the issuer still publishes it.
      await expect(auth.verify(await sign({ signer }))).resolves.toMatchObject({ kind: 'jwt' });
    });

    it('refuses a key the issuer has since removed, once the cache is refreshed', async () => {
      const auth = verifier({}, { jwks: { cacheMaxAgeMs: 0 } });
      await auth.verify(await sign({ signer }));
      const next = await newSigner('key-2');
      jwks.keys = [next.jwk];
      expect(await rejection(auth.verify, await sign({ signer }))).toContain('no signing key');
    });

    it('within the cooldown, an unknown kid does not make it refetch the JWKS', async () => {
      const auth = verifier();
      await auth.verify(await sign({ signer }));
      const before = jwks.requests;
      const unknown = await newSigner('key-unknown');
      for (let i = 0; i < 3; i += 1) await rejection(auth.verify, await sign({ signer: unknown }));
      expect(jwks.requests).toBe(before);
    });
  });

  describe('handles', () => {
    it('claims compact JWTs from configured issuers only, without fetching anything', async () => {
      const auth = verifier();
      const before = jwks.requests;
      expect(auth.handles(await sign({ signer }))).toBe(true);
      expect(auth.handles(await sign({ signer: stranger }))).toBe(true);
      expect(auth.handles(await sign({ signer, iss: 'https://evil.example.test' }))).toBe(false);
      expect(auth.handles(await sign({ signer, iss: null }))).toBe(false);
      expect(auth.handles('tg_0123456789abcdef')).toBe(false);
      expect(jwks.requests).toBe(before);
    });

    it('claims nothing when no issuer is configured', async () => {
      const auth = createJwtVerifier([]);
      const token = await sign({ signer });
      expect(auth.handles(token)).toBe(false);
      expect(await rejection(auth.verify, token)).toContain('are not accepted');
    });
  });
});
