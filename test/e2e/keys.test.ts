import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { openStore } from '../support/store.js';
import { runCli } from '../support/cli.js';
import { eventually, ledgerView } from '../support/gateway.js';
import { startReceiver } from '../policy/webhooks/receiver.js';

/**
 * Virtual keys end to end: the `tollgate keys` command (a child process) writes the same SQLite
 * file a running server reads, and the server admits, attributes and refuses callers by them.
 */
const ADMIN_KEY = 'admin-e2e-7f3a9c1b5d';

interface Running {
  server: RunningServer;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

async function start(config: ConfigInput = {}, env: Record<string, string> = {}): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-keys-e2e-'));
  const server = await startServer({ config: parseConfig(config, {}), dataDir, port: 0, host: '127.0.0.1', logLevel: 'silent', env });
  return {
    server,
    url: server.url,
    dataDir,
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `tollgate keys …` on a data folder, as a user runs it. */
async function keysCli(dataDir: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = runCli(['keys', ...args, '--data-dir', dataDir], {});
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

async function createKey(dataDir: string, ...flags: string[]): Promise<{ key: string; id: string }> {
  const result = await keysCli(dataDir, 'create', '--json', ...flags);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { key: string; id: string };
}

async function call(url: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const response = await request(`${url}${path}`, {
    method: (init.method ?? 'GET') as 'GET',
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.body.text();
  return { status: response.statusCode, text, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

const chatBody = { model: 'mock/echo', messages: [{ role: 'user', content: 'hello' }] };

function openai(url: string, apiKey: string): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 });
}

function expectOpenAIError(response: { status: number; body?: Record<string, any> }, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({
    error: { message: expect.any(String), type: expect.any(String), param: expect.toBeOneOf([null, expect.any(String)]), code },
  });
}

describe('keys made by the CLI while the server runs', () => {
  let gateway: Running;
  let key: string;
  let id: string;

  beforeAll(async () => {
    gateway = await start();
  });
  afterAll(() => gateway?.close());

  it('before any key exists the gateway is open on loopback (clients send placeholder keys)', async () => {
    const completion = await openai(gateway.url, 'unused').chat.completions.create(chatBody as never);
    expect(completion.choices[0]!.message.content).toBeTruthy();
  });

  it('once the CLI creates a key, a request without one is refused with 401 in OpenAI shape', async () => {
    ({ key, id } = await createKey(gateway.dataDir, '--name', 'ci', '--user', 'alice', '--tags', 'nightly,batch'));
    expect(key).toMatch(/^tg_[0-9A-Za-z]{40}$/);
    expect(id).toMatch(/^key_/);

    const anonymous = await call(gateway.url, '/v1/chat/completions', { method: 'POST', body: chatBody });
    expectOpenAIError(anonymous, 401, 'unauthorized');
    expect(anonymous.body!.error.type).toBe('authentication_error');
    expect(anonymous.body!.error.message).toMatch(/Authorization: Bearer <key>/);

    const error = await openai(gateway.url, 'unused').chat.completions.create(chatBody as never).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
  });

  it('the openai client with that key gets 200, and the ledger row names the key, its user and tags', async () => {
    const completion = await openai(gateway.url, key).chat.completions.create({ ...chatBody, user: 'someone-else' } as never);
    expect(completion.choices[0]!.message.content).toBeTruthy();
    const row = (await ledgerView(gateway.server.app.store.reports).requests()).find((candidate) => candidate.keyId === id);
    // The key's user wins over the body's.
    expect(row).toMatchObject({ keyId: id, keyName: 'ci', user: 'alice', tags: ['nightly', 'batch'] });
  });

  it('accepts the key as x-api-key (the Anthropic-style header)', async () => {
    const response = await call(gateway.url, '/v1/models', { headers: { 'x-api-key': key } });
    expect(response.status).toBe(200);
  });

  it('refuses a key in the query string with 400, without echoing it, even when the key is valid', async () => {
    const response = await call(gateway.url, `/v1/models?api_key=${key}`);
    expectOpenAIError(response, 400, 'invalid_request');
    expect(response.body!.error.message).toMatch(/Authorization/);
    expect(response.text).not.toContain(key.slice(3));
  });

  it('/health and /llms.txt need no key', async () => {
    expect((await call(gateway.url, '/health')).status).toBe(200);
    expect((await request(`${gateway.url}/llms.txt`)).statusCode).toBe(200);
  });

  it('lists the key with the CLI (a table without the key, or JSON), and shows it by name', async () => {
    const table = await keysCli(gateway.dataDir, 'list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+KEY\s+STATUS/);
    expect(table.stdout).toContain('ci');
    expect(table.stdout).toContain(`${key.slice(0, 10)}…`);
    expect(table.stdout).not.toContain(key);

    const json = await keysCli(gateway.dataDir, 'list', '--json');
    const listed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(listed).toEqual([expect.objectContaining({ id, name: 'ci', user: 'alice', tags: ['nightly', 'batch'], prefix: key.slice(0, 10) })]);
    expect(json.stdout).not.toContain(key);
    expect(json.stdout).not.toContain('hash');

    const shown = await keysCli(gateway.dataDir, 'show', 'ci', '--json');
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, name: 'ci' });
  });

  it('a key revoked by the CLI is refused by the running server on its next request', async () => {
    expect((await call(gateway.url, '/v1/models', { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    const revoked = await keysCli(gateway.dataDir, 'revoke', id);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/Revoked key "ci"/);
    const refused = await call(gateway.url, '/v1/models', { headers: { authorization: `Bearer ${key}` } });
    expectOpenAIError(refused, 401, 'unauthorized');
    expect(refused.body!.error.message).toMatch(/unknown, revoked or expired/);
    expect(refused.text).not.toContain(key.slice(3));
  });

  it('an expired key is refused with 401', async () => {
    const fresh = await createKey(gateway.dataDir, '--name', 'short-lived', '--expires', '1h');
    expect((await call(gateway.url, '/v1/models', { headers: { authorization: `Bearer ${fresh.key}` } })).status).toBe(200);
    // Time passes: the expiry moves into the past through another connection to the same file.
    const other = await openStore(gateway.dataDir);
    (await other.keys.update(fresh.id, { expiresAt: new Date(Date.now() - 1_000).toISOString() }));
    await other.close();
    // The gateway trusts a key lookup for a quarter of a second: the change is in force after that.
    await eventually(async () => expectOpenAIError(await call(gateway.url, '/v1/models', { headers: { authorization: `Bearer ${fresh.key}` } }), 401, 'unauthorized'));
  });

  it('/mcp requires the key too: a JSON-RPC error with HTTP 401 without it, tool calls attributed to the key with it', async () => {
    const { key: mcpKey, id: mcpId } = await createKey(gateway.dataDir, '--name', 'agent', '--user', 'bot');
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
    const refused = await call(gateway.url, '/mcp', { method: 'POST', body: initialize, headers: { accept: 'application/json, text/event-stream' } });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringMatching(/Authorization: Bearer/) }, id: null });

    const client = new Client({ name: 'keys-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), { requestInit: { headers: { authorization: `Bearer ${mcpKey}` } } }));
    try {
      const result = await client.callTool({ name: 'chat', arguments: { prompt: 'hi from mcp' } });
      expect(result.isError).toBeFalsy();
      const row = (await ledgerView(gateway.server.app.store.reports).requests()).filter((candidate) => candidate.face === 'mcp').at(-1);
      expect(row).toMatchObject({ keyId: mcpId, keyName: 'agent', user: 'bot' });
    } finally {
      await client.close();
    }
  });

  it('the keys exist only as hashes: no key string appears anywhere in the data folder', async () => {
    const made = await createKey(gateway.dataDir, '--name', 'needle');
    // Every file, in sub-folders too; sockets (the bus's) hold nothing at rest.
    const bytes = readdirSync(gateway.dataDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(join(entry.parentPath, entry.name)).toString('latin1'))
      .join('');
    for (const secret of [key, made.key]) {
      expect(bytes).not.toContain(secret);
      expect(bytes).not.toContain(secret.slice(10));
    }
  });
});

describe('tollgate keys: errors and exit codes', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tollgate-keys-cli-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('exit 2 on bad usage, 1 on a key not found, with a message on stderr and nothing on stdout', async () => {
    const noName = await keysCli(dataDir, 'create');
    expect(noName).toMatchObject({ code: 2, stdout: '' });
    expect(noName.stderr).toMatch(/create needs --name/);

    const badBudget = await keysCli(dataDir, 'create', '--name', 'x', '--budget', 'lots');
    expect(badBudget.code).toBe(2);
    expect(badBudget.stderr).toMatch(/--budget must be a number/);

    const missing = await keysCli(dataDir, 'revoke', 'ghost');
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/no key with id or name "ghost"/);
  });

  it('updates limits by name, and "none" clears one', async () => {
    await createKey(dataDir, '--name', 'limits', '--budget', '5', '--period', 'week', '--models', 'openai/*,anthropic/claude-*', '--rpm', '60');
    const updated = await keysCli(dataDir, 'update', 'limits', '--budget', 'none', '--tpm', '1000', '--json');
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ name: 'limits', budgetUsd: null, models: ['openai/*', 'anthropic/claude-*'], rpm: 60, tpm: 1000 });
  });
});

describe('the admin API', () => {
  let gateway: Running;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let userKey: string;
  let userKeyId: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    gateway = await start({ webhooks: [{ url: `${receiver.url}/hook`, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['key.*'] }] }, { TOLLGATE_ADMIN_KEY: ADMIN_KEY });
    const store = await openStore(gateway.dataDir);
    ({ key: userKey, record: { id: userKeyId } } = (await store.keys.create({ name: 'plain-user' })));
    await store.close();
  });
  afterAll(async () => {
    await gateway?.close();
    await receiver?.close();
  });

  const admin = { authorization: `Bearer ${ADMIN_KEY}` };
  const routes = () => [
    { method: 'POST', path: '/v1/admin/keys', body: { name: 'from-user' } },
    { method: 'GET', path: '/v1/admin/keys' },
    { method: 'GET', path: `/v1/admin/keys/${userKeyId}` },
    { method: 'PATCH', path: `/v1/admin/keys/${userKeyId}`, body: { rpm: 1 } },
    { method: 'DELETE', path: `/v1/admin/keys/${userKeyId}` },
  ];

  it('refuses every admin route to a normal key with 403, and to no key with 401', async () => {
    for (const route of routes()) {
      const asUser = await call(gateway.url, route.path, { method: route.method, body: route.body, headers: { authorization: `Bearer ${userKey}` } });
      expectOpenAIError(asUser, 403, 'forbidden');
      expect(asUser.body!.error.type).toBe('permission_error');
      const anonymous = await call(gateway.url, route.path, { method: route.method, body: route.body });
      expectOpenAIError(anonymous, 401, 'unauthorized');
    }
    // Nothing changed: the user key still works and has no rpm limit.
    expect((await call(gateway.url, '/v1/models', { headers: { authorization: `Bearer ${userKey}` } })).status).toBe(200);
  });

  it('the admin key manages keys: create (the key shown once), list, get, update, revoke', async () => {
    const created = await call(gateway.url, '/v1/admin/keys', {
      method: 'POST',
      headers: admin,
      body: { name: 'svc', user: 'svc-user', tags: ['api'], budgetUsd: 10, budgetPeriod: 'month', models: ['mock/*'], rpm: 100, expiresAt: '2999-12-31' },
    });
    expect(created.status).toBe(201);
    const { key, id } = created.body as { key: string; id: string };
    expect(key).toMatch(/^tg_/);
    expect(created.body).toMatchObject({ id, name: 'svc', prefix: key.slice(0, 10), user: 'svc-user', tags: ['api'], budgetUsd: 10, models: ['mock/*'], rpm: 100, expiresAt: '2999-12-31T00:00:00.000Z', revokedAt: null });

    // The new key works right away.
    expect((await call(gateway.url, '/v1/chat/completions', { method: 'POST', body: chatBody, headers: { authorization: `Bearer ${key}` } })).status).toBe(200);

    const listed = await call(gateway.url, '/v1/admin/keys', { headers: admin });
    expect(listed.status).toBe(200);
    expect(listed.body!.data.map((record: { name: string }) => record.name)).toEqual(['plain-user', 'svc']);
    expect(listed.text).not.toContain(key);

    const fetched = await call(gateway.url, `/v1/admin/keys/${id}`, { headers: admin });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ id, name: 'svc' });
    expect(fetched.body).not.toHaveProperty('key');
    expect(fetched.body).not.toHaveProperty('hash');

    const patched = await call(gateway.url, `/v1/admin/keys/${id}`, { method: 'PATCH', headers: admin, body: { rpm: null, tpm: 5000 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ rpm: null, tpm: 5000, budgetUsd: 10 });

    const deleted = await call(gateway.url, `/v1/admin/keys/${id}`, { method: 'DELETE', headers: admin });
    expect(deleted.status).toBe(200);
    expect(deleted.body!.revokedAt).toEqual(expect.any(String));
    expectOpenAIError(await call(gateway.url, '/v1/models', { headers: { authorization: `Bearer ${key}` } }), 401, 'unauthorized');

    const all = await call(gateway.url, '/v1/admin/keys?all=true', { headers: admin });
    expect(all.body!.data.map((record: { name: string }) => record.name)).toEqual(['plain-user', 'svc']);
    expect((await call(gateway.url, '/v1/admin/keys', { headers: admin })).body!.data.map((record: { name: string }) => record.name)).toEqual(['plain-user']);

    // Each change went out as a webhook event naming the key (never the key itself).
    const events = await eventually(() => {
      const types = receiver.received.map((delivery) => (JSON.parse(delivery.body) as { type: string }).type);
      if (types.length < 3) throw new Error(`only ${types.length} events`);
      return receiver.received.map((delivery) => JSON.parse(delivery.body) as { type: string; data: Record<string, unknown> });
    });
    expect(events.map((event) => event.type)).toEqual(['key.created', 'key.updated', 'key.revoked']);
    expect(events[0]!.data).toMatchObject({ id, name: 'svc', prefix: key.slice(0, 10) });
    expect(receiver.received.map((delivery) => delivery.body).join('')).not.toContain(key);
  });

  it('bodies are validated with 400s that name the field; unknown ids are 404', async () => {
    const unknownField = await call(gateway.url, '/v1/admin/keys', { method: 'POST', headers: admin, body: { name: 'x', budget_usd: 5 } });
    expectOpenAIError(unknownField, 400, 'invalid_request');
    expect(unknownField.body!.error.message).toMatch(/unknown field "budget_usd"/);

    const badBudget = await call(gateway.url, '/v1/admin/keys', { method: 'POST', headers: admin, body: { name: 'x', budgetUsd: -1 } });
    expectOpenAIError(badBudget, 400, 'invalid_request');
    expect(badBudget.body!.error.param).toBe('budgetUsd');

    const duplicate = await call(gateway.url, '/v1/admin/keys', { method: 'POST', headers: admin, body: { name: 'plain-user' } });
    expectOpenAIError(duplicate, 400, 'invalid_request');
    expect(duplicate.body!.error.message).toMatch(/already exists/);

    const notJson = await request(`${gateway.url}/v1/admin/keys`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: '{name:' });
    expect(notJson.statusCode).toBe(400);
    await notJson.body.dump();

    expectOpenAIError(await call(gateway.url, '/v1/admin/keys/key_nope', { headers: admin }), 404, 'not_found');
    expectOpenAIError(await call(gateway.url, '/v1/admin/keys/key_nope', { method: 'PATCH', headers: admin, body: { rpm: 1 } }), 404, 'not_found');
    expectOpenAIError(await call(gateway.url, '/v1/admin/keys/key_nope', { method: 'DELETE', headers: admin }), 404, 'not_found');
  });
});

describe('binding beyond loopback', () => {
  it('tollgate serve --host 0.0.0.0 with no key, issuer or admin key refuses to start (exit 2)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bind-cli-'));
    try {
      const cli = runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', dataDir], {});
      const code = await cli.exited;
      expect(code).toBe(2);
      expect(cli.stderr()).toMatch(/refusing to listen on 0\.0\.0\.0/);
      expect(cli.stderr()).toMatch(/tollgate keys create/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
