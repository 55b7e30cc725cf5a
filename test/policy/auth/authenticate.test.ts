import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import { GatewayError } from '../../../src/core/errors.js';
import { createAuthenticator, type AuthenticatorOptions } from '../../../src/policy/auth/authenticate.js';
import { createJwtVerifier } from '../../../src/policy/auth/jwt.js';
import { anonymousPrincipal } from '../../../src/policy/types.js';
import { openStore } from '../../support/store.js';
import type { Store } from '../../../src/store/types.js';

/** Who a request is, from its headers, against a real key store in a SQLite file. */
let dataDir: string;
let store: Store;

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-auth-'));
  store = await openStore(dataDir);
});
afterEach(async () => {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const ADMIN = 'admin-secret-0123456789';

function authenticator(config: ConfigInput = {}, extra: Partial<AuthenticatorOptions> = {}) {
  return createAuthenticator({ keys: store.keys, config: parseConfig(config, {}), env: {}, ...extra });
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe('with nothing configured', () => {
  it('every request is anonymous, whatever it sends (clients send placeholder keys)', async () => {
    const auth = authenticator();
    expect(await auth.authRequired()).toBe(false);
    expect(await auth.authenticate({}, '/v1/models')).toEqual(anonymousPrincipal);
    expect(await auth.authenticate({ authorization: 'Bearer unused' }, '/v1/models')).toEqual(anonymousPrincipal);
    expect(await auth.authenticate({ authorization: 'Basic dXNlcjpwYXNz' }, '/v1/models')).toEqual(anonymousPrincipal);
  });

  it('still refuses a secret in the query string, naming the parameter but never its value', async () => {
    const auth = authenticator();
    for (const name of ['api_key', 'key', 'token', 'access_token', 'apikey', 'API_KEY']) {
      const error = await failure(auth.authenticate({}, `/v1/models?limit=3&${name}=tg_querysecret123`));
      expect(error.kind).toBe('invalid_request');
      expect(error.status).toBe(400);
      expect(error.message).toContain(`"${name}"`);
      expect(error.message).toContain('Authorization');
      expect(error.message).not.toContain('querysecret');
    }
    expect(await auth.authenticate({}, '/v1/models?limit=3')).toEqual(anonymousPrincipal);
  });

  it('requires a credential when failClosed (a server reachable from other machines)', async () => {
    const auth = authenticator({}, { failClosed: true });
    expect(await auth.authRequired()).toBe(true);
    expect((await failure(auth.authenticate({}, '/v1/models'))).kind).toBe('unauthorized');
  });
});

describe('virtual keys', () => {
  it('auth becomes required once a key exists, and stays required when every key is revoked', async () => {
    const auth = authenticator();
    const { record } = (await store.keys.create({ name: 'first' }));
    expect(await auth.authRequired()).toBe(true);
    const error = await failure(auth.authenticate({}, '/v1/chat/completions'));
    expect(error.kind).toBe('unauthorized');
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/Authorization: Bearer <key>/);
    (await store.keys.revoke(record.id));
    expect(await auth.authRequired()).toBe(true);
    expect((await failure(auth.authenticate({}, '/v1/chat/completions'))).kind).toBe('unauthorized');
  });

  it('a revoked key is refused even when no live key is left (it never falls back to anonymous)', async () => {
    const auth = authenticator();
    const { key, record } = (await store.keys.create({ name: 'only' }));
    (await store.keys.revoke(record.id));
    expect(await auth.authRequired()).toBe(true);
    expect((await failure(auth.authenticate({ authorization: `Bearer ${key}` }, '/'))).kind).toBe('unauthorized');
    expect((await failure(auth.authenticate({ 'x-api-key': key }, '/'))).kind).toBe('unauthorized');
  });

  it('Bearer and x-api-key give the principal of the key, with its user, tags and limits', async () => {
    const { key, record } = (await store.keys.create({
      name: 'team-a',
      user: 'alice',
      tags: ['checkout'],
      budgetUsd: 12.5,
      budgetPeriod: 'day',
      models: ['mock/*'],
      providers: ['mock'],
      rpm: 30,
      tpm: 9_000,
    }));
    const auth = authenticator();
    const expected = {
      kind: 'key',
      keyId: record.id,
      keyName: 'team-a',
      user: 'alice',
      tags: ['checkout'],
      admin: false,
      limits: { budget: { limitUsd: 12.5, period: 'day' }, models: ['mock/*'], providers: ['mock'], rpm: 30, tpm: 9_000 },
    };
    expect(await auth.authenticate({ authorization: `Bearer ${key}` }, '/v1/models')).toEqual(expected);
    expect(await auth.authenticate({ authorization: `bearer ${key}` }, '/v1/models')).toEqual(expected);
    expect(await auth.authenticate({ 'x-api-key': key }, '/v1/messages')).toEqual(expected);
  });

  it('a key without limits has empty limits', async () => {
    const { key } = (await store.keys.create({ name: 'plain' }));
    expect((await authenticator().authenticate({ authorization: `Bearer ${key}` }, '/')).limits).toEqual({});
  });

  it('refuses unknown, revoked and expired keys with 401, never repeating the key', async () => {
    const auth = authenticator();
    const revoked = (await store.keys.create({ name: 'revoked' }));
    (await store.keys.revoke(revoked.record.id));
    const expired = (await store.keys.create({ name: 'expired' }));
    (await store.keys.update(expired.record.id, { expiresAt: new Date(Date.now() - 1000).toISOString() }));
    const unknown = `tg_${'Z'.repeat(40)}`;
    for (const key of [unknown, revoked.key, expired.key]) {
      const error = await failure(auth.authenticate({ authorization: `Bearer ${key}` }, '/v1/models'));
      expect(error.kind).toBe('unauthorized');
      expect(error.message).toMatch(/unknown, revoked or expired/);
      expect(error.message).not.toContain(key.slice(3, 13));
    }
  });

  it('refuses a credential that is no kind of key, and an Authorization header of another scheme', async () => {
    (await store.keys.create({ name: 'exists' }));
    const auth = authenticator();
    const notOurs = await failure(auth.authenticate({ authorization: 'Bearer sk-proj-abcdef123456' }, '/'));
    expect(notOurs.kind).toBe('unauthorized');
    expect(notOurs.message).not.toContain('abcdef123456');
    const basic = await failure(auth.authenticate({ authorization: 'Basic dXNlcjpwYXNz' }, '/'));
    expect(basic.message).toMatch(/Bearer scheme/);
    expect(basic.message).not.toContain('dXNlcjpwYXNz');
  });
});

describe('the admin key', () => {
  it('turns auth on by itself and gives the admin principal, read from the env named by auth.adminKeyEnv', async () => {
    const auth = authenticator({}, { env: { TOLLGATE_ADMIN_KEY: ADMIN } });
    expect(await auth.authRequired()).toBe(true);
    expect(await auth.authenticate({ authorization: `Bearer ${ADMIN}` }, '/v1/admin/keys')).toMatchObject({ kind: 'admin', admin: true, keyId: null });
    expect(await auth.authenticate({ 'x-api-key': ADMIN }, '/v1/admin/keys')).toMatchObject({ admin: true });
    // Near misses are just wrong credentials.
    for (const wrong of [`${ADMIN}x`, ADMIN.slice(0, -1), ADMIN.toUpperCase()]) {
      expect((await failure(auth.authenticate({ authorization: `Bearer ${wrong}` }, '/'))).kind).toBe('unauthorized');
    }

    const renamed = authenticator({ auth: { adminKeyEnv: 'MY_ADMIN' } }, { env: { MY_ADMIN: 'other-admin', TOLLGATE_ADMIN_KEY: ADMIN } });
    expect(await renamed.authenticate({ authorization: 'Bearer other-admin' }, '/')).toMatchObject({ admin: true });
    expect((await failure(renamed.authenticate({ authorization: `Bearer ${ADMIN}` }, '/'))).kind).toBe('unauthorized');
  });

  it('an empty admin env var is no admin key', async () => {
    expect(await authenticator({}, { env: { TOLLGATE_ADMIN_KEY: '' } }).authRequired()).toBe(false);
  });
});

describe('JWTs from a configured issuer', () => {
  const ISSUER = 'https://idp.example.test/';
  let jwks: Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(async () => {
    jwks.closeAllConnections();
    await new Promise<void>((resolve) => jwks.close(() => resolve()));
  });

  const sign = (audience: string) =>
    new SignJWT({ team: 'search' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setSubject('user-42')
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

  it('a configured issuer turns auth on; a valid token goes to the JWT verifier, a wrong audience is 401', async () => {
    const config = { auth: { issuers: [{ issuer: ISSUER, jwksUrl, audience: 'tollgate', tagsClaim: 'team', rpm: 5 }] } };
    const parsed = parseConfig(config, {});
    const auth = authenticator(config, { jwt: createJwtVerifier(parsed.auth.issuers) });
    expect(await auth.authRequired()).toBe(true);
    const principal = await auth.authenticate({ authorization: `Bearer ${await sign('tollgate')}` }, '/v1/chat/completions');
    expect(principal).toMatchObject({ kind: 'jwt', user: 'user-42', tags: ['search'], admin: false, limits: { rpm: 5 } });

    const wrongAudience = await sign('someone-else');
    const error = await failure(auth.authenticate({ authorization: `Bearer ${wrongAudience}` }, '/'));
    expect(error.kind).toBe('unauthorized');
    expect(error.message).not.toContain(wrongAudience);
  });

  it('without issuers, a JWT-shaped token is just not a Tollgate key', async () => {
    (await store.keys.create({ name: 'k' }));
    const error = await failure(authenticator().authenticate({ authorization: `Bearer ${await sign('tollgate')}` }, '/'));
    expect(error.message).toMatch(/not a Tollgate key/);
  });
});
