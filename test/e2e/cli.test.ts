import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { cleanEnv, cliCommand, runCli, waitForUrl } from '../support/cli.js';

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

  it('lists every problem of a config at once, each naming its field, with code 2', async () => {
    const file = join(work, 'many.json');
    writeFileSync(
      file,
      JSON.stringify({ server: { port: 'eighty' }, providers: { up: { kind: 'openai-compatible', timeoutMs: -5 }, x: { kind: 'skynet' } }, logLevel: 'loud' }),
    );
    const cli = runCli(['serve', '--config', file], { TOLLGATE_DATA_DIR: join(work, 'bad') });
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/invalid config \(4 problems\)/);
    for (const field of ['server.port', 'providers.up.timeoutMs', 'providers.x.kind', 'logLevel']) expect(cli.stderr()).toContain(`  ${field}: `);
  });

  it('exits with code 2 for a provider config that cannot work (an openai-compatible provider without baseURL)', async () => {
    const file = join(work, 'no-base.json');
    writeFileSync(file, JSON.stringify({ providers: { local: { kind: 'openai-compatible', apiKey: 'k' } } }));
    const cli = runCli(['serve', '--port', '0', '--config', file], { TOLLGATE_DATA_DIR: join(work, 'bad') });
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain('tollgate: invalid config at providers.local.baseURL: an openai-compatible provider needs a baseURL');
  });
});

/** A port nobody listens on right now (the kernel's pick, released at once). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('tollgate serve: where it listens', () => {
  it('takes TOLLGATE_PORT over PORT over the config, TOLLGATE_HOST over the config, and flags over both', async () => {
    const [configPort, portEnv, tollgatePort] = [await freePort(), await freePort(), await freePort()];
    const file = join(work, 'ports.json');
    writeFileSync(file, JSON.stringify({ server: { port: configPort } }));
    const data = { TOLLGATE_DATA_DIR: join(work, 'ports') };

    const fromEnv = runCli(['serve', '--config', file], { ...data, PORT: String(portEnv), TOLLGATE_PORT: String(tollgatePort), TOLLGATE_HOST: '127.0.0.2' });
    // Its own data folder: without Redis, one serve runs per folder.
    const fromPort = runCli(['serve', '--config', file], { TOLLGATE_DATA_DIR: join(work, 'ports-2'), PORT: String(portEnv) });
    try {
      expect(await waitForUrl(fromEnv, 60_000)).toBe(`http://127.0.0.2:${tollgatePort}`);
      expect(await waitForUrl(fromPort, 60_000)).toBe(`http://127.0.0.1:${portEnv}`);
    } finally {
      await Promise.all([fromEnv.stop(), fromPort.stop()]);
    }
    const fromFlags = runCli(['serve', '--config', file, '--port', '0', '--host', '127.0.0.1'], { ...data, PORT: String(portEnv), TOLLGATE_PORT: String(tollgatePort), TOLLGATE_HOST: '127.0.0.2' });
    try {
      const url = await waitForUrl(fromFlags);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(url).not.toMatch(new RegExp(`:(${tollgatePort}|${portEnv}|${configPort})$`));
    } finally {
      await fromFlags.stop();
    }
  }, 120_000);

  it('refuses a bad TOLLGATE_PORT or PORT with code 2, naming the variable', async () => {
    const bad = runCli(['serve'], { TOLLGATE_PORT: '99999', TOLLGATE_DATA_DIR: join(work, 'ports') });
    const alsoBad = runCli(['serve'], { PORT: 'http', TOLLGATE_DATA_DIR: join(work, 'ports') });
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('tollgate: TOLLGATE_PORT must be a whole number from 0 to 65535 (got "99999")');
    expect(await alsoBad.exited).toBe(2);
    expect(alsoBad.stderr()).toContain('tollgate: PORT must be a whole number from 0 to 65535 (got "http")');
  });

  it('names a port in use and says how to choose another', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const cli = runCli(['serve'], { TOLLGATE_PORT: String(port), TOLLGATE_DATA_DIR: join(work, 'ports') });
      expect(await cli.exited).toBe(1);
      expect(cli.stderr()).toContain(`tollgate: port ${port} on 127.0.0.1 is already in use`);
      expect(cli.stderr()).toContain('--port N or TOLLGATE_PORT=N');
      expect(cli.stderr()).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

describe('--tools: the MCP tools offered', () => {
  it('serve --tools and mcp --tools list only those tools, over the config; an unknown name exits 2 listing the tools', async () => {
    const file = join(work, 'tools.json');
    writeFileSync(file, JSON.stringify({ server: { mcp: { tools: ['embed'] } } }));
    const data = { TOLLGATE_DATA_DIR: join(work, 'tools') };
    const names = async (client: Client) => (await client.listTools()).tools.map((tool) => tool.name);

    const server = runCli(['serve', '--port', '0', '--config', file, '--tools', 'chat,get_spend'], data);
    try {
      const url = await waitForUrl(server);
      const client = new Client({ name: 'tools-flag', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
      expect(await names(client)).toEqual(['chat', 'get_spend']);
      await client.close();
    } finally {
      expect(await server.stop()).toBe(0);
    }

    const { command, args } = cliCommand(['mcp', '--config', file, '--tools', 'list_models,chat']);
    const stdio = new Client({ name: 'tools-flag', version: '1.0.0' });
    await stdio.connect(new StdioClientTransport({ command, args, env: cleanEnv(data) as Record<string, string>, stderr: 'pipe' }));
    expect(await names(stdio)).toEqual(['chat', 'list_models']);
    await stdio.close();

    const fromConfig = new Client({ name: 'tools-config', version: '1.0.0' });
    const plain = cliCommand(['mcp', '--config', file]);
    await fromConfig.connect(new StdioClientTransport({ command: plain.command, args: plain.args, env: cleanEnv(data) as Record<string, string>, stderr: 'pipe' }));
    expect(await names(fromConfig)).toEqual(['embed']);
    await fromConfig.close();

    for (const sub of [['serve', '--port', '0'], ['mcp']]) {
      const bad = runCli([...sub, '--tools', 'chat,bogus'], data);
      expect(await bad.exited, sub[0]).toBe(2);
      expect(bad.stderr()).toMatch(/unknown tool bogus; the tools are chat, embed, rerank/);
    }
  }, 120_000);
});

describe('tollgate help, --help and --version', () => {
  it('prints the help of every command, and of a keys subcommand, without touching a data folder', async () => {
    const xdg = join(work, 'help-xdg');
    const env = { XDG_DATA_HOME: xdg };
    // Every topic's text is checked in test/cli/help.test.ts; here, each way of asking for it.
    const cases: Array<[string[], RegExp]> = [
      [['help'], /^tollgate \S+ — a self-hosted AI gateway\n[\s\S]*serve[\s\S]*mcp[\s\S]*keys[\s\S]*spend[\s\S]*doctor/],
      [['serve', '--help'], /^Usage: tollgate serve \[--port N\][\s\S]*TOLLGATE_PORT/],
      [['help', 'mcp'], /^Usage: tollgate mcp [\s\S]*TOLLGATE_API_KEY/],
      [['doctor', '-h'], /^Usage: tollgate doctor /],
      [['spend', '--help'], /^Usage:\n {2}tollgate spend /],
      [['keys', 'create', '--help'], /^Usage: tollgate keys create --name NAME[\s\S]*--budget USD/],
      [['keys', 'help', 'revoke'], /^Usage: tollgate keys revoke ID\|NAME/],
      [['help', '--help'], /^Usage: tollgate help \[COMMAND \[SUBCOMMAND\]\]/],
      [['help', 'keys', '--help'], /^Usage:\n {2}tollgate keys create /],
    ];
    const runs = cases.map(([args]) => runCli(args, env));
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    const versionRun = runCli(['--version'], env);
    const unknown = runCli(['frobnicate'], env);
    for (const [index, [args, pattern]] of cases.entries()) {
      expect(await runs[index]!.exited, args.join(' ')).toBe(0);
      expect(runs[index]!.stdout(), args.join(' ')).toMatch(pattern);
    }
    expect(await versionRun.exited).toBe(0);
    expect(versionRun.stdout()).toBe(`${version}\n`);
    expect(await unknown.exited).toBe(2);
    expect(unknown.stderr()).toMatch(/unknown command "frobnicate".*tollgate help/);
    expect(existsSync(xdg)).toBe(false);
  }, 120_000);
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
