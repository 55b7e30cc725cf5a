/**
 * The package as users get it: `npm pack`, installed globally into a temporary prefix, gives a
 * `tollgate` on the PATH whose `--version`, `serve` and `mcp` work from any folder. And
 * `npm start` in the repository leaves no server behind when npm is stopped.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, repoRoot, waitForUrl, type CliProcess } from '../support/cli.js';
import { startLockfileRegistry } from '../support/npm-registry.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tollgate-install-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The environment of a nested npm: none of the npm_* settings of an `npm test` around us. */
function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = cleanEnv(extra);
  for (const name of Object.keys(env)) if (/^npm_/i.test(name) && !(name in extra)) delete env[name];
  return env;
}

function runNpm(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(npm, args, { cwd: options.cwd, env: options.env ?? npmEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** A process of ours, read the way waitForUrl reads the CLI's. */
function watch(child: ChildProcess): CliProcess {
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * better-sqlite3's install script first looks for a prebuilt binary (prebuild-install), and
 * compiles only without one (about two minutes). The binary `npm ci` built here, for this very
 * Node and version, is handed to it as a local prebuild, so the install script still runs.
 */
function localPrebuild(): string {
  const dir = join(work, 'prebuilds');
  const stage = join(work, 'prebuild-stage');
  const sqlite = JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string };
  mkdirSync(join(stage, 'build', 'Release'), { recursive: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('cp', [join(repoRoot, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), join(stage, 'build', 'Release')]);
  const name = `better-sqlite3-v${sqlite.version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', ['-czf', join(dir, name), '-C', stage, 'build']);
  return dir;
}

describe.skipIf(process.platform === 'win32')('npm pack, then npm install --global', () => {
  let prefix: string;
  let bin: string;

  beforeAll(async () => {
    // `npm pack` would run `prepare` (the build) again; dist/ is built from this src/ once, here.
    await builtDist();
    const packed = await runNpm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: repoRoot });
    expect(packed.code, packed.stderr).toBe(0);
    const [pack] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = pack!.files.map((file) => file.path);
    for (const needed of ['package.json', 'bin/tollgate.js', 'dist/cli.js', 'dist/server.js', 'dist/faces/mcp/stdio.js', 'llms.txt', 'mcp.json', 'README.md']) expect(files).toContain(needed);
    expect(files.filter((file) => /^(src|test|bench)\//.test(file))).toEqual([]);

    const registry = await startLockfileRegistry(repoRoot);
    prefix = join(work, 'prefix');
    try {
      const installed = await runNpm(
        ['install', '--global', join(work, pack!.filename), '--prefix', prefix, '--registry', registry.url, '--prefer-offline', '--replace-registry-host=never', '--no-audit', '--no-fund', '--foreground-scripts'],
        { cwd: work, env: npmEnv({ npm_config_better_sqlite3_local_prebuilds: localPrebuild() }) },
      );
      expect(installed.code, `${installed.stdout}\n${installed.stderr}`).toBe(0);
    } finally {
      await registry.close();
    }
    bin = join(prefix, 'bin');
    expect(existsSync(join(bin, 'tollgate'))).toBe(true);
  }, 300_000);

  /** A shell's view: the prefix's bin first on the PATH, started in a folder of its own. */
  const userEnv = (extra: Record<string, string> = {}) => cleanEnv({ PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, XDG_DATA_HOME: join(work, 'xdg'), ...extra });
  const elsewhere = () => {
    const dir = join(work, 'elsewhere');
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  it('puts a working tollgate on the PATH: --version', async () => {
    const cli = watch(spawn('tollgate', ['--version'], { cwd: elsewhere(), env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(await cli.exited, cli.stderr()).toBe(0);
    expect(cli.stdout()).toBe(`${version}\n`);
  }, 60_000);

  it('serves HTTP: /health and a chat on the mock, with its ledger in the data home', async () => {
    const server = watch(spawn('tollgate', ['serve', '--port', '0'], { cwd: elsewhere(), env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      const url = await waitForUrl(server);
      const health = await request(`${url}/health`);
      expect(await health.body.json()).toEqual({ status: 'ok', service: 'tollgate', version, store: { ledger: 'ok', spooled: 0 } });
      const chat = await request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'installed' }] }) });
      expect(chat.statusCode).toBe(200);
      expect(((await chat.body.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe('Echo: installed');
      expect(readdirSync(join(work, 'xdg', 'tollgate'))).toContain('tollgate.db');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);

  it('serves MCP on stdio as `tollgate mcp`, for an MCP host', async () => {
    const transport = new StdioClientTransport({ command: 'tollgate', args: ['mcp'], cwd: elsewhere(), env: userEnv() as Record<string, string>, stderr: 'pipe' });
    const client = new Client({ name: 'install-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['chat', 'embed', 'list_models', 'get_spend']));
      const result = await client.callTool({ name: 'chat', arguments: { prompt: 'from the global install' } });
      expect(result.structuredContent).toMatchObject({ text: 'Echo: from the global install' });
      const { contents } = await client.readResource({ uri: 'tollgate://llms.txt' });
      expect((contents[0] as { text: string }).text).toMatch(/^# Tollgate/);
    } finally {
      await client.close();
    }
  }, 60_000);
});

/** The children of every process, from /proc. */
function childrenOf(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  return children;
}

function descendants(pid: number): number[] {
  const children = childrenOf();
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) for (const child of children.get(queue.shift()!) ?? []) found.push(child), queue.push(child);
  return found;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Gone, or a zombie waiting for whoever adopted it: either way no longer running. */
function running(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createServer().once('error', () => resolve(true));
    socket.listen(port, '127.0.0.1', () => socket.close(() => resolve(false)));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** dist/ as `npm ci` leaves it, built again only if src/ changed since. */
async function builtDist(): Promise<void> {
  const built = statSync(join(repoRoot, 'dist', 'cli.js'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((entry) => (entry.isDirectory() ? newest(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs)));
  if (newest(join(repoRoot, 'src')) <= built) return;
  const build = await runNpm(['run', 'build'], { cwd: repoRoot });
  expect(build.code, build.stderr).toBe(0);
}

describe.skipIf(process.platform !== 'linux')('npm start', () => {
  it('leaves no node behind when npm gets SIGTERM', async () => {
    await builtDist();
    const port = await freePort();
    const npmStart = watch(spawn(npm, ['start'], { cwd: repoRoot, env: npmEnv({ TOLLGATE_PORT: String(port), TOLLGATE_DATA_DIR: join(work, 'npm-start') }), stdio: ['ignore', 'pipe', 'pipe'] }));
    let server: number | undefined;
    try {
      expect(await waitForUrl(npmStart)).toBe(`http://127.0.0.1:${port}`);
      server = descendants(npmStart.child.pid!).find((pid) => commandLine(pid).includes('bin/tollgate.js serve'));
      expect(server, descendants(npmStart.child.pid!).map(commandLine).join('\n')).toBeDefined();

      npmStart.child.kill('SIGTERM');
      await npmStart.exited;
      // The server stops on its own; bounded, and polled on what a user would check.
      let attempts = 0;
      while ((running(server!) || (await portOpen(port))) && attempts++ < 200) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(running(server!), `node ${server} still runs after npm got SIGTERM`).toBe(false);
      expect(await portOpen(port)).toBe(false);
    } finally {
      if (npmStart.child.exitCode === null) npmStart.child.kill('SIGKILL');
      if (server !== undefined && running(server)) process.kill(server, 'SIGKILL');
    }
  }, 120_000);
});
