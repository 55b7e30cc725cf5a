import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';

/** OIDC/JWT callers through the real server: a JWKS on loopback, tokens from jose, the openai client. */
let jwks: Server;
let gateway: TestGateway;
let sign: (claims: Record<string, unknown>, options?: { audience?: string; expiresIn?: string | number }) => Promise<string>;
const ISSUER = 'https://id.example.test';

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  sign = (claims, options = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(options.audience ?? 'tollgate')
      .setSubject('user-42')
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(privateKey);
  gateway = await startGateway({
    auth: { issuers: [{ issuer: ISSUER, jwksUrl, audience: 'tollgate', userClaim: 'email', tagsClaim: 'team', models: ['mock/echo'] }] },
  });
});
afterAll(async () => {
  await gateway?.close();
  await new Promise<void>((resolve) => jwks?.close(() => resolve()));
});

const chat = (token: string, model = 'mock/echo') =>
  new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: token, maxRetries: 0 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as InstanceType<typeof OpenAI.APIError>);

describe('JWT callers', () => {
  it('a valid token is a caller: its claims become user and tags in the ledger, its issuer limits apply', async () => {
    const token = await sign({ email: 'ann@example.test', team: 'search' });
    expect((await chat(token)).choices[0]!.message.content).toBe('Echo: hi');
    expect((await gateway.ledger.requests()).at(-1)).toMatchObject({ user: 'ann@example.test', tags: ['search'], keyName: 'user-42' });
    expect((await failure(chat(token, 'mock/embed')))?.status).toBe(403);
  });

  it('expired, wrong-audience and badly signed tokens get 401 in OpenAI shape', async () => {
    const expired = await sign({ email: 'ann@example.test' }, { expiresIn: Math.floor(Date.now() / 1000) - 600 });
    const wrongAudience = await sign({ email: 'ann@example.test' }, { audience: 'someone-else' });
    const valid = await sign({ email: 'ann@example.test' });
    const tampered = `${valid.slice(0, -4)}AAAA`;
    for (const token of [expired, wrongAudience, tampered, 'not-a-token']) {
      const refused = await failure(chat(token));
      expect(refused?.status).toBe(401);
      expect(refused?.type).toBe('authentication_error');
      expect(refused?.message).not.toContain(token);
    }
  });

  it('no credential at all → 401 once an issuer is configured', async () => {
    const response = await fetch(`${gateway.url}/v1/models`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});
