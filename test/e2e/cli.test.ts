import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { runCli, waitForUrl } from '../support/cli.js';

/** The `tollgate` command as a user runs it: config errors, start-up, and secrets kept secret. */
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('tollgate serve: configuration', () => {
  it('starts with no provider key, serves mock, and says which env names enable which providers', async () => {
    const cli = runCli(['serve', '--port', '0'], { TOLLGATE_DATA_DIR: join(work, 'plain') });
    try {
      const url = await waitForUrl(cli);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(cli.stderr()).toMatch(/mock \(mock/);
      expect(cli.stderr()).toMatch(/OPENAI_API_KEY .*→ openai\//);
      expect(cli.stderr()).toMatch(/ANTHROPIC_API_KEY .*→ anthropic\//);
      const response = await request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }) });
      expect(response.statusCode).toBe(200);
      await response.body.dump();
      // The data folder it was told to use now holds the ledger.
      expect(readdirSync(join(work, 'plain'))).toContain('tollgate.db');
      expect(cli.stdout()).toBe('');
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('exits with code 2 and names the field for an invalid config', async () => {
    const file = join(work, 'bad.json');
    writeFileSync(file, JSON.stringify({ providers: { up: { kind: 'openai-compatible', timeoutMs: -5 } } }));
    const cli = runCli(['serve', '--config', file], { TOLLGATE_DATA_DIR: join(work, 'bad') });
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/providers\.up\.timeoutMs/);
  });

  it('exits with code 2 for a config that is not JSON, and for an unknown provider kind', async () => {
    const file = join(work, 'broken.json');
    writeFileSync(file, '{ "providers": ');
    const broken = runCli(['serve'], { TOLLGATE_CONFIG: file, TOLLGATE_DATA_DIR: join(work, 'bad') });
    expect(await broken.exited).toBe(2);
    expect(broken.stderr()).toMatch(/not valid JSON/);

    writeFileSync(file, JSON.stringify({ providers: { x: { kind: 'skynet' } } }));
    const unknownKind = runCli(['serve'], { TOLLGATE_CONFIG: file, TOLLGATE_DATA_DIR: join(work, 'bad') });
    expect(await unknownKind.exited).toBe(2);
    expect(unknownKind.stderr()).toMatch(/providers\.x\.kind/);
  });

  it('exits with code 2 when an env: secret names an unset variable', async () => {
    const file = join(work, 'env.json');
    writeFileSync(file, JSON.stringify({ providers: { up: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', apiKey: 'env:NOT_SET_ANYWHERE' } } }));
    const cli = runCli(['serve', '--config', file], { TOLLGATE_DATA_DIR: join(work, 'bad') });
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/providers\.up\.apiKey: environment variable NOT_SET_ANYWHERE is not set/);
  });

  it('refuses bad flags with code 2', async () => {
    const cli = runCli(['serve', '--port', 'eighty'], {});
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/--port/);
  });
});

describe('secrets never leave', () => {
  const canary = 'sk-canary-1f0e7d3c9b8a-do-not-leak';
  const anthropicCanary = 'sk-ant-canary-55aa77bb-do-not-leak';
  const adminCanary = 'admin-canary-9c9c9c9c-do-not-leak';
  let upstream: StartedUpstream;

  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(() => upstream?.close());

  it('keeps provider keys out of stdout, stderr (debug logs), the SQLite files and every response', async () => {
    const dataDir = join(work, 'canary');
    const file = join(work, 'canary.json');
    writeFileSync(
      file,
      JSON.stringify({
        logLevel: 'debug',
        routing: { retries: 0 },
        providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'env:CANARY_KEY' } },
      }),
    );
    // An upstream that quotes the key it was sent, as some do in their 401 messages.
    upstream.script('leaky', { kind: 'error', status: 401, body: { error: { message: `Incorrect API key provided: ${canary}`, type: 'invalid_request_error', code: 'invalid_api_key' } } });
    upstream.script('broken', { kind: 'cut', afterEvents: 1 });
    const cli = runCli(['serve', '--port', '0', '--config', file, '--data-dir', dataDir], {
      CANARY_KEY: canary,
      TOLLGATE_ADMIN_KEY: adminCanary,
      ANTHROPIC_API_KEY: anthropicCanary,
      ANTHROPIC_BASE_URL: upstream.url,
    });
    const bodies: string[] = [];
    let virtualKey = '';
    try {
      const url = await waitForUrl(cli);
      // The admin API shows a new key once, in its create response (not counted below).
      const created = await request(`${url}/v1/admin/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminCanary}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'canary-key' }),
      });
      virtualKey = ((await created.body.json()) as { key: string }).key;
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: virtualKey, maxRetries: 0 });
      const ok = await client.chat.completions.create({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
      bodies.push(JSON.stringify(ok));
      const viaEnv = await client.chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hello' }] });
      bodies.push(JSON.stringify(viaEnv));
      expect(upstream.requests.some((seen) => seen.headers['x-api-key'] === anthropicCanary)).toBe(true);

      for (const body of [
        { model: 'up/leaky', messages: [{ role: 'user', content: 'x' }] },
        { model: 'up/leaky', stream: true, messages: [{ role: 'user', content: 'x' }] },
        { model: 'up/broken', stream: true, messages: [{ role: 'user', content: 'x' }] },
        { model: 'nowhere/x', messages: [{ role: 'user', content: 'x' }] },
      ]) {
        const response = await request(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${virtualKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        bodies.push(`${JSON.stringify(response.headers)}${await response.body.text()}`);
      }
      bodies.push(await (await request(`${url}/v1/models`, { headers: { authorization: `Bearer ${virtualKey}` } })).body.text());
      // A wrong key, a key in the query string and the admin API listing: none may echo a secret.
      for (const [path, headers] of [
        ['/v1/models', { authorization: `Bearer ${virtualKey}x` }],
        [`/v1/models?api_key=${virtualKey}`, {}],
        ['/v1/admin/keys', { authorization: `Bearer ${adminCanary}` }],
        ['/v1/admin/keys', { authorization: `Bearer ${virtualKey}` }],
      ] as const) {
        const response = await request(`${url}${path}`, { headers });
        bodies.push(`${JSON.stringify(response.headers)}${await response.body.text()}`);
      }
      expect(bodies[2]).toMatch(/Incorrect API key provided: \[redacted\]/);
    } finally {
      await cli.stop();
    }
    const files = readdirSync(dataDir).map((name) => readFileSync(join(dataDir, name)).toString('latin1'));
    expect(files.length).toBeGreaterThan(0);
    const everything = [cli.stdout(), cli.stderr(), ...files, ...bodies].join('\n');
    expect(everything).toContain('Incorrect API key provided');
    expect(everything).not.toContain(canary);
    expect(everything).not.toContain(anthropicCanary);
    expect(everything).not.toContain(adminCanary);
    expect(virtualKey).toMatch(/^tg_/);
    expect(everything).not.toContain(virtualKey);
    expect(everything).toContain('canary-key');
    expect(everything).not.toContain('canary-1f0e7d3c9b8a');
  });
});
