/**
 * `/mcp` as an OAuth 2.1 protected resource when OIDC issuers are configured: the MCP SDK
 * client's own OAuth support finds the authorization server from the 401's
 * `WWW-Authenticate: Bearer resource_metadata=…` and the metadata document (RFC 9728), gets a
 * token for this resource (RFC 8707) from a loopback authorization server, and calls tools with
 * it. Tokens naming any other audience are refused on `/mcp`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InvalidClientError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type TestGateway } from '../support/gateway.js';

const CLIENT_ID = 'agent-7';
const CLIENT_SECRET = 'agent-7-secret-0123456789';
/** A host that signs its user in (authorization code with PKCE), registered in advance as a public client. */
const HOST_CLIENT_ID = 'desktop-host';
const HOST_REDIRECT = 'http://127.0.0.1:1/callback';
const SIGNED_IN_USER = 'dana@example.test';
/** The audience tokens for the HTTP API carry (the issuer's configured one). */
const API_AUDIENCE = 'tollgate-api';

/**
 * A loopback OAuth 2.1 authorization server: metadata, an authorization endpoint that signs the
 * user in at once (PKCE required), a token endpoint (authorization_code, client_credentials)
 * issuing ES256 JWTs for the asked resource, and its JWKS.
 */
interface AuthorizationServer {
  issuer: string;
  tokenRequests: URLSearchParams[];
  sign(claims: { audience: string; subject?: string }): Promise<string>;
  close(): Promise<void>;
}

async function startAuthorizationServer(): Promise<AuthorizationServer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'as-1', alg: 'ES256', use: 'sig' };
  const tokenRequests: URLSearchParams[] = [];
  const codes = new Map<string, { challenge: string; resource: string | null; redirectUri: string }>();
  let issuer = '';
  const sign = ({ audience, subject = CLIENT_ID }: { audience: string; subject?: string }, key: CryptoKey = privateKey) =>
    new SignJWT({ client_id: subject }).setProtectedHeader({ alg: 'ES256', kid: 'as-1' }).setIssuer(issuer).setAudience(audience).setSubject(subject).setIssuedAt().setExpirationTime('5m').sign(key);
  const server: Server = createServer((req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/.well-known/oauth-authorization-server' || path === '/.well-known/openid-configuration')) {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'none'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (req.method === 'GET' && path === '/jwks') return json(200, { keys: [jwk] });
    if (req.method === 'GET' && path === '/authorize') {
      const query = new URL(req.url!, issuer).searchParams;
      if (query.get('client_id') !== HOST_CLIENT_ID || query.get('redirect_uri') !== HOST_REDIRECT) return json(400, { error: 'invalid_request' });
      if (query.get('response_type') !== 'code' || query.get('code_challenge_method') !== 'S256' || !query.get('code_challenge')) return json(400, { error: 'invalid_request', error_description: 'PKCE with S256 is required' });
      const code = randomUUID();
      codes.set(code, { challenge: query.get('code_challenge')!, resource: query.get('resource'), redirectUri: HOST_REDIRECT });
      const back = new URL(HOST_REDIRECT);
      back.searchParams.set('code', code);
      if (query.get('state')) back.searchParams.set('state', query.get('state')!);
      return res.writeHead(302, { location: back.href }).end();
    }
    if (req.method === 'POST' && path === '/token') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const params = new URLSearchParams(body);
        tokenRequests.push(params);
        if (params.get('grant_type') === 'authorization_code') {
          const grant = codes.get(params.get('code') ?? '');
          codes.delete(params.get('code') ?? '');
          const verifier = params.get('code_verifier') ?? '';
          if (!grant || params.get('client_id') !== HOST_CLIENT_ID || params.get('redirect_uri') !== grant.redirectUri) return json(400, { error: 'invalid_grant' });
          if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return json(400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
          if (!grant.resource || params.get('resource') !== grant.resource) return json(400, { error: 'invalid_target' });
          void sign({ audience: grant.resource, subject: SIGNED_IN_USER }).then((token) => json(200, { access_token: token, token_type: 'Bearer', expires_in: 300 }));
          return;
        }
        const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        const [id, secret] = basic ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent) : [];
        if (id !== CLIENT_ID || secret !== CLIENT_SECRET) return json(401, { error: 'invalid_client' });
        if (params.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
        const resource = params.get('resource');
        if (!resource) return json(400, { error: 'invalid_target', error_description: 'name the resource' });
        void sign({ audience: resource }).then((token) => json(200, { access_token: token, token_type: 'Bearer', expires_in: 300 }));
      });
      return;
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    tokenRequests,
    sign: (claims) => sign(claims),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let as: AuthorizationServer;
let gateway: TestGateway;

beforeAll(async () => {
  as = await startAuthorizationServer();
  gateway = await startGateway({
    auth: { issuers: [{ issuer: as.issuer, jwksUrl: `${as.issuer}/jwks`, audience: API_AUDIENCE }] },
  });
});
afterAll(async () => {
  await gateway?.close();
  await as?.close();
});

const mcpUrl = () => `${gateway.url}/mcp`;

/** What a host that signs its user in keeps: its registration, the PKCE verifier, the tokens, and where it sent the browser. */
class SignInProvider implements OAuthClientProvider {
  authorizationUrl: URL | undefined;
  private verifier = '';
  private saved: Parameters<OAuthClientProvider['saveTokens']>[0] | undefined;
  readonly redirectUrl = HOST_REDIRECT;
  readonly clientMetadata = { client_name: 'Desktop host', redirect_uris: [HOST_REDIRECT], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  clientInformation() {
    return { client_id: HOST_CLIENT_ID };
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: Parameters<OAuthClientProvider['saveTokens']>[0]) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

function sdkClient(provider: OAuthClientProvider) {
  const client = new Client({ name: 'oauth-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl()), { authProvider: provider });
  return { client, transport };
}

async function postInitialize(token?: string): Promise<Response> {
  return fetch(mcpUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
}

describe('/mcp as an OAuth protected resource', () => {
  it('serves the protected resource metadata (RFC 9728) at the bare and the path-suffixed well-known URLs', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const response = await fetch(`${gateway.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(await response.json()).toEqual({ resource: mcpUrl(), authorization_servers: [as.issuer], bearer_methods_supported: ['header'], resource_name: 'Tollgate' });
    }
  });

  it('answers a request without a token with 401, a JSON-RPC error and WWW-Authenticate naming the metadata', async () => {
    const response = await postInitialize();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${gateway.url}/.well-known/oauth-protected-resource/mcp"`);
    expect(await response.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringContaining('requires an API key') }, id: null });
  });

  it('the MCP SDK client discovers the authorization server, gets a token for this resource, and calls a tool', async () => {
    const before = as.tokenRequests.length;
    const { client, transport } = sdkClient(new ClientCredentialsProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, expectedIssuer: as.issuer }));
    await client.connect(transport);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((tool) => tool.name)).toContain('chat');
      const result = await client.callTool({ name: 'chat', arguments: { model: 'mock/echo', prompt: 'through oauth' } });
      expect(result.isError).toBeFalsy();
      expect(JSON.stringify(result.content)).toContain('Echo: through oauth');
    } finally {
      await client.close();
    }
    const asked = as.tokenRequests.slice(before);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.get('grant_type')).toBe('client_credentials');
    expect(asked[0]!.get('resource')).toBe(mcpUrl());
    // The call is the token's subject in the ledger.
    const row = await eventually(async () => (await gateway.ledger.requests()).find((request) => request.requestedModel === 'mock/echo')!);
    expect(row).toMatchObject({ keyName: CLIENT_ID, user: CLIENT_ID, status: 'ok' });
  });

  it('a host that signs its user in (authorization code + PKCE) gets a token for this resource and calls a tool as that user', async () => {
    const provider = new SignInProvider();
    const first = sdkClient(provider);
    const refused = await first.client.connect(first.transport).then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(UnauthorizedError);
    // The browser step: the authorization server names this resource and signs the user in.
    const authorizationUrl = provider.authorizationUrl!;
    expect(authorizationUrl.origin).toBe(as.issuer);
    expect(authorizationUrl.searchParams.get('resource')).toBe(mcpUrl());
    const redirected = await fetch(authorizationUrl, { redirect: 'manual' });
    expect(redirected.status).toBe(302);
    const code = new URL(redirected.headers.get('location')!).searchParams.get('code')!;
    await first.transport.finishAuth(code);
    expect(as.tokenRequests.at(-1)!.get('resource')).toBe(mcpUrl());

    const second = sdkClient(provider);
    await second.client.connect(second.transport);
    try {
      const result = await second.client.callTool({ name: 'chat', arguments: { model: 'mock/echo', prompt: 'signed in' } });
      expect(JSON.stringify(result.content)).toContain('Echo: signed in');
    } finally {
      await second.client.close();
    }
    const row = await eventually(async () => (await gateway.ledger.requests()).find((request) => request.user === SIGNED_IN_USER)!);
    expect(row).toMatchObject({ requestedModel: 'mock/echo', status: 'ok' });
  });

  it('refuses a token for another audience on /mcp (401 with the challenge), though the HTTP API takes its own', async () => {
    const apiToken = await as.sign({ audience: API_AUDIENCE });
    const elsewhere = await as.sign({ audience: 'https://other.example.test/mcp' });
    for (const token of [apiToken, elsewhere]) {
      const response = await postInitialize(token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${gateway.url}/.well-known/oauth-protected-resource/mcp"`);
      const body = (await response.json()) as { error: { code: number; message: string } };
      expect(body).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: `the token was not issued for this resource: its audience (aud) must name "${mcpUrl()}"` }, id: null });
      expect(body.error.message).not.toContain(token);
    }
    // The API's audience is still the issuer's configured one, and a token for /mcp is not it.
    const api = (token: string) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: token, maxRetries: 0 }).chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] });
    expect((await api(apiToken)).choices[0]!.message.content).toBe('Echo: hi');
    const refused = await api(await as.sign({ audience: mcpUrl() })).catch((error: unknown) => error as InstanceType<typeof OpenAI.APIError>);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'unauthorized', message: 'the token was not issued for this gateway (audience mismatch)' });
  });

  it('a client the authorization server refuses gets no token and cannot connect', async () => {
    const { client, transport } = sdkClient(new ClientCredentialsProvider({ clientId: CLIENT_ID, clientSecret: 'wrong-secret', expectedIssuer: as.issuer }));
    const failure = await client.connect(transport).then(() => undefined, (error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(InvalidClientError);
    await client.close();
  });
});

describe('without issuers', () => {
  let open: TestGateway;
  beforeAll(async () => {
    open = await startGateway({});
  });
  afterAll(() => open?.close());

  it('has no protected resource metadata (404 in OpenAI shape)', async () => {
    const response = await fetch(`${open.url}/.well-known/oauth-protected-resource/mcp`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
