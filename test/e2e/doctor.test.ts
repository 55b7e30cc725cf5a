/**
 * `tollgate doctor` against loopback upstreams that accept one key and refuse any other, a
 * closed port, a running tollgate and a port held by something else.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctorCommand } from '../../src/cli/doctor.js';
import { resolveDataHome } from '../../src/config/data-home.js';
import { openStore } from '../support/store.js';
import { runCli } from '../support/cli.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

const GOOD = 'good-key-7f3a91';
const BAD = 'wrong-key-0c2e55';

let work: string;
let upstream: StartedUpstream;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tollgate-doctor-'));
  upstream = await startUpstream({ apiKeys: [GOOD], models: ['model-a', 'model-b'] });
});
afterAll(async () => {
  await upstream.close();
  rmSync(work, { recursive: true, force: true });
});

/** A port that refuses connections: taken from the kernel, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function configFile(name: string, config: unknown): string {
  const file = join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

async function doctor(options: { config?: string; dataDir: string; port: number; env?: Record<string, string> }) {
  let out = '';
  const code = await runDoctorCommand({
    home: resolveDataHome({ flag: options.dataDir }),
    configFile: options.config,
    port: String(options.port),
    timeout: '5000',
    env: options.env ?? {},
    cwd: work,
    stdout: (text) => (out += text),
  });
  return { code, out, lines: out.trimEnd().split('\n') };
}

describe('tollgate doctor', () => {
  it('checks each provider through its model list: reachable, key accepted or refused, unreachable; one line each', async () => {
    const file = configFile('providers', {
      providers: {
        openai: { kind: 'openai', baseURL: `${upstream.url}/v1`, apiKey: GOOD },
        claude: { kind: 'anthropic', baseURL: upstream.url, apiKey: BAD },
        gemini: { kind: 'google', baseURL: `${upstream.url}/v1beta`, apiKey: GOOD },
        gemini2: { kind: 'google', baseURL: `${upstream.url}/v1beta`, apiKey: BAD },
        cohere: { kind: 'cohere', baseURL: `${upstream.url}/v2`, apiKey: GOOD },
        mistral: { kind: 'mistral', baseURL: `${upstream.url}/v1`, apiKey: 'env:MISTRAL_KEY' },
        local: { kind: 'openai-compatible', baseURL: `http://127.0.0.1:${await closedPort()}/v1` },
      },
    });
    const port = await closedPort();
    const dataDir = join(work, 'fresh-data');
    upstream.reset();
    const result = await doctor({ config: file, dataDir, port, env: { MISTRAL_KEY: BAD } });

    expect(result.code).toBe(1);
    expect(result.lines).toEqual([
      `ok    config    config file ${file}; providers: openai, claude, gemini, gemini2, cohere, mistral, local, mock`,
      `ok    data      ${dataDir} (from --data-dir): can be written; no ledger yet (made on first use)`,
      `ok    provider  openai: reachable, key accepted (2 models listed) at ${upstream.url}/v1/models`,
      expect.stringMatching(new RegExp(`^fail  provider  claude \\(anthropic\\): reachable, but the key was refused \\(HTTP 401: invalid x-api-key\\) at ${upstream.url}/v1/models\\?limit=1000$`)),
      `ok    provider  gemini (google): reachable, key accepted (2 models listed) at ${upstream.url}/v1beta/models?pageSize=1000`,
      expect.stringMatching(/^fail  provider  gemini2 \(google\): reachable, but the key was refused \(HTTP 400: API key not valid\. Please pass a valid API key\.\)/),
      `ok    provider  cohere: reachable, key accepted (2 models listed) at ${upstream.url}/v1/models?page_size=1000`,
      expect.stringMatching(/^fail  provider  mistral: reachable, but the key was refused \(HTTP 401: Incorrect API key provided/),
      expect.stringMatching(/^fail  provider  local \(openai-compatible\): unreachable: connection refused \(ECONNREFUSED\) at http:\/\/127\.0\.0\.1:\d+\/v1\/models$/),
      'ok    provider  mock: built-in, answers offline',
      `ok    port      127.0.0.1:${port} is free`,
      expect.stringMatching(/^warn  auth      off: no key, no admin key \(TOLLGATE_ADMIN_KEY\) and no OIDC issuer; anyone who can reach 127\.0\.0\.1 may call it/),
    ]);
    // Each provider was asked with its own auth header, and no key reached the output.
    const seen = (path: string) => upstream.requests.filter((request) => request.path === path).map((request) => request.headers);
    expect(seen('/v1beta/models').map((headers) => headers['x-goog-api-key']).sort()).toEqual([GOOD, BAD].sort());
    expect(seen('/v1/models')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ 'x-api-key': BAD, 'anthropic-version': '2023-06-01' }),
        expect.objectContaining({ authorization: `Bearer ${GOOD}` }),
        expect.objectContaining({ authorization: `Bearer ${BAD}` }),
      ]),
    );
    expect(result.out).not.toContain(GOOD);
    expect(result.out).not.toContain(BAD);
  });

  it('lists every config problem at once and checks the rest', async () => {
    const file = configFile('broken', { server: { port: -1 }, providers: { x: { kind: 'skynet' }, up: { kind: 'openai', timeoutMs: 0 } } });
    const result = await doctor({ config: file, dataDir: join(work, 'broken-data'), port: await closedPort() });
    expect(result.code).toBe(1);
    expect(result.lines.slice(0, 4)).toEqual([
      `fail  config    config file ${file}: 3 problems`,
      expect.stringMatching(/^ {16}server\.port: /),
      expect.stringMatching(/^ {16}providers\.x\.kind: /),
      expect.stringMatching(/^ {16}providers\.up\.timeoutMs: /),
    ]);
    expect(result.out).toMatch(/^ok {4}data /m);
    expect(result.out).toMatch(/^warn  provider  not checked: the config has errors$/m);
    expect(result.out).toMatch(/^ok {4}port /m);
  });

  it('fails on a data folder that cannot be used, and on a port held by another program', async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, '');
    // Something that is not HTTP at all, as an SSH server would greet.
    const sockets: Socket[] = [];
    const holder: Server = createServer((socket) => {
      sockets.push(socket);
      socket.end('SSH-2.0-OpenSSH_9.6\r\n');
    });
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    try {
      const result = await doctor({ dataDir: join(file, 'data'), port });
      expect(result.code).toBe(1);
      expect(result.out).toContain(`fail  data      the data folder ${join(file, 'data')} cannot be used: a part of the path is a file, not a folder (ENOTDIR)`);
      expect(result.out).toContain(`fail  port      127.0.0.1:${port} is in use by another program; choose another port with --port N or TOLLGATE_PORT`);
    } finally {
      const closed = new Promise((resolve) => holder.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    }
  });

  it('warns about a ledger left in ./.tollgate of the working directory', async () => {
    const project = join(work, 'old-project');
    const legacy = await openStore(join(project, '.tollgate'));
    await legacy.close();
    let out = '';
    const code = await runDoctorCommand({
      home: { dir: join(work, 'xdg', 'tollgate'), source: 'default' },
      port: '0',
      env: {},
      cwd: project,
      stdout: (text) => (out += text),
    });
    expect(code).toBe(0);
    expect(out).toContain(`warn  data      ${join(project, '.tollgate')} holds a ledger that is not used: the data folder is now ${join(work, 'xdg', 'tollgate')}. To keep using it, pass --data-dir`);
  });

  describe('beside a running tollgate', () => {
    let gateway: TestGateway;
    let port: number;
    beforeAll(async () => {
      gateway = await startGateway({});
      port = Number(new URL(gateway.url).port);
    });
    afterAll(() => gateway.close());

    it('says the port is served by a tollgate, and passes when nothing fails', async () => {
      const dataDir = join(work, 'same-as-nothing');
      const result = await doctor({ dataDir, port });
      expect(result.out).toContain(`ok    port      a tollgate ${gatewayVersion()} already serves 127.0.0.1:${port}`);
      expect(result.code).toBe(0);
    });

    it('fails when that tollgate answers without a key while this data folder has keys: a split data home', async () => {
      const dataDir = join(work, 'with-keys');
      const store = await openStore(dataDir);
      try {
        (await store.keys.create({ name: 'made-here' }));
      } finally {
        await store.close();
      }
      const result = await doctor({ dataDir, port, env: { TOLLGATE_ADMIN_KEY: 'admin-secret-123' } });
      expect(result.code).toBe(1);
      expect(result.out).toContain(`ok    data      ${dataDir} (from --data-dir): can be written; ledger with 0 requests, 1 live key`);
      expect(result.out).toContain(`fail  port      a tollgate ${gatewayVersion()} already serves 127.0.0.1:${port}, but it answers without a key while this data folder has keys: it uses another data folder`);
      expect(result.out).toContain('ok    auth      on: every request needs a key; the admin key is set (TOLLGATE_ADMIN_KEY), 1 live key');
      expect(result.out).not.toContain('admin-secret-123');
    });
  });

  it('runs as a command: one line per check on stdout, the data folder on stderr, exit 1 on a failure', async () => {
    const dataDir = join(work, 'cli-data');
    const cli = runCli(['doctor', '--data-dir', dataDir, '--port', String(await closedPort()), '--timeout', '3000'], {
      OPENAI_API_KEY: BAD,
      OPENAI_BASE_URL: `${upstream.url}/v1`,
    });
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain(`data: ${dataDir} (from --data-dir)`);
    expect(cli.stdout()).toMatch(/^ok {4}config {4}no config file/m);
    expect(cli.stdout()).toMatch(/^fail  provider  openai: reachable, but the key was refused \(HTTP 401/m);
    expect(cli.stdout()).not.toContain(BAD);
    const bad = runCli(['doctor', '--timeout', 'soon', '--data-dir', dataDir], {});
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/--timeout must be a whole number/);
  }, 60_000);
});

function gatewayVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
