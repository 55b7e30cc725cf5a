/**
 * One data home whatever the working directory: `serve`, `mcp`, `keys` and `spend` started
 * from different folders (one of them read-only) share one ledger and one set of keys, each
 * says which folder it uses, and a folder that cannot be used is named as such.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, cliCommand, runCli, waitForUrl } from '../support/cli.js';
import { ChildProcessTransport, ownedFolder, readOnlyFolder, runAs } from '../support/unprivileged.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tollgate-data-home-e2e-'));
  ownedFolder(work);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const as = runAs ?? {};

async function run(args: string[], env: Record<string, string>, cwd: string) {
  const cli = runCli(args, env, { cwd, ...as });
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

const chat = (url: string, headers: Record<string, string> = {}) =>
  request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }) });

describe('one data home, whatever the working directory', () => {
  it('serve, mcp from a read-only folder, keys and spend from others share one ledger and one set of keys', async () => {
    const xdg = ownedFolder(join(work, 'xdg'));
    const home = join(xdg, 'tollgate');
    const env = { XDG_DATA_HOME: xdg };
    const serveDir = ownedFolder(join(work, 'serve-here'));
    const keysDir = ownedFolder(join(work, 'keys-here'));
    const lockedDir = readOnlyFolder(join(work, 'read-only'));
    const dataLine = `data: ${home} (the default; --data-dir or TOLLGATE_DATA_DIR moves it)`;

    const server = runCli(['serve', '--port', '0'], env, { cwd: serveDir, ...as });
    try {
      const url = await waitForUrl(server);
      expect(server.stderr()).toContain(dataLine);
      const open = await chat(url);
      expect(open.statusCode).toBe(200);
      await open.body.dump();

      // An MCP host that starts `tollgate mcp` in a folder it cannot write.
      const { command, args } = cliCommand(['mcp']);
      const transport = new ChildProcessTransport(command, args, { cwd: lockedDir, env: cleanEnv(env), ...as });
      const client = new Client({ name: 'data-home-test', version: '1.0.0' });
      await client.connect(transport);
      try {
        const result = await client.callTool({ name: 'chat', arguments: { prompt: 'from a read-only folder' } });
        expect(result.isError, JSON.stringify(result)).toBeFalsy();
        expect(result.structuredContent).toMatchObject({ text: 'Echo: from a read-only folder' });
      } finally {
        await client.close();
      }
      expect(transport.stderr()).toContain(dataLine);

      // A key made from another folder is enforced by the running server at once.
      const created = await run(['keys', 'create', '--name', 'elsewhere', '--json'], env, keysDir);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stderr).toContain(dataLine);
      const { key } = JSON.parse(created.stdout) as { key: string };
      const refused = await chat(url);
      expect(refused.statusCode).toBe(401);
      await refused.body.dump();
      const keyed = await chat(url, { authorization: `Bearer ${key}` });
      expect(keyed.statusCode).toBe(200);
      await keyed.body.dump();

      // The report, from the read-only folder, sees all three requests.
      const spend = await run(['spend', '--by', 'key', '--json'], env, lockedDir);
      expect(spend.code, spend.stderr).toBe(0);
      expect(spend.stderr).toContain(dataLine);
      const report = JSON.parse(spend.stdout) as { results: Array<{ api_key_name?: string; request_count: number }>; total: { request_count: number } };
      expect(report.total.request_count).toBe(3);
      expect(report.results.find((row) => row.api_key_name === 'elsewhere')?.request_count).toBe(1);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(readdirSync(home)).toContain('tollgate.db');
    for (const dir of [serveDir, keysDir, lockedDir]) expect(existsSync(join(dir, '.tollgate')), dir).toBe(false);
  }, 120_000);

  it('warns once about a ledger left in ./.tollgate, and keeps it reachable with --data-dir', async () => {
    const xdg = ownedFolder(join(work, 'xdg-legacy'));
    const project = ownedFolder(join(work, 'old-project'));
    const env = { XDG_DATA_HOME: xdg };
    const made = await run(['keys', 'create', '--name', 'old-key', '--data-dir', '.tollgate'], env, project);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).not.toMatch(/warning/);

    const listed = await run(['keys', 'list'], env, project);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/No live keys/);
    const legacy = join(project, '.tollgate');
    expect(listed.stderr.match(/warning/g)).toHaveLength(1);
    expect(listed.stderr).toContain(`warning: ${legacy} holds a ledger that is not used: the data folder is now ${join(xdg, 'tollgate')}`);
    expect(listed.stderr).toContain(`--data-dir ${legacy}`);
    expect(listed.stderr).toContain(`TOLLGATE_DATA_DIR=${legacy}`);

    const kept = await run(['keys', 'list', '--data-dir', '.tollgate'], env, project);
    expect(kept.stdout).toMatch(/old-key/);
    expect(kept.stderr).not.toMatch(/warning/);
  }, 120_000);
});

describe('a data folder that cannot be used', () => {
  const unusable = () => {
    const file = join(work, 'plain-file');
    writeFileSync(file, 'a file, not a folder');
    return join(file, 'data');
  };

  it('stops serve, mcp, keys and spend with code 2, naming the folder and the reason (not "cannot listen", no stack)', async () => {
    const dir = unusable();
    for (const args of [['serve', '--port', '0'], ['mcp'], ['keys', 'list'], ['spend']]) {
      const result = await run(args, { TOLLGATE_DATA_DIR: dir }, work);
      expect(result.code, `${args[0]}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(`data: ${dir} (from TOLLGATE_DATA_DIR)`);
      expect(result.stderr).toContain(`tollgate: the data folder ${dir} cannot be used: a part of the path is a file, not a folder (ENOTDIR)`);
      expect(result.stderr).not.toMatch(/cannot listen|\n\s+at /);
      expect(result.stdout).toBe('');
    }
  }, 120_000);

  it('names a read-only folder as such', async () => {
    const dir = join(readOnlyFolder(join(work, 'read-only-parent')), 'data');
    const served = await run(['serve', '--port', '0', '--data-dir', dir], {}, work);
    expect(served.code).toBe(2);
    expect(served.stderr).toContain(`tollgate: the data folder ${dir} cannot be used: permission denied (EACCES)`);
    const mcp = await run(['mcp', '--data-dir', dir], {}, work);
    expect(mcp.code).toBe(2);
    expect(mcp.stderr).toContain(`the data folder ${dir} cannot be used: permission denied`);
  }, 120_000);
});

describe('a ledger database that refuses', () => {
  it('stops serve, mcp, keys and spend with code 2, naming the database (never its password) on the data line and in the reason, without a stack', async () => {
    // A database PostgreSQL answers for but does not have.
    const db = `tollgate_absent_${process.pid}_${Date.now()}`;
    const env = { TOLLGATE_DATA_DIR: join(work, 'pg-refused'), TOLLGATE_DATABASE_URL: `postgres://postgres:pw-canary@127.0.0.1:5432/${db}` };
    for (const args of [['serve', '--port', '0'], ['mcp'], ['keys', 'list'], ['spend']]) {
      const result = await run(args, env, work);
      expect(result.code, `${args[0]}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(`data: ${env.TOLLGATE_DATA_DIR} (from TOLLGATE_DATA_DIR); ledger and keys: PostgreSQL at 127.0.0.1:5432/${db}\n`);
      expect(result.stderr).toContain(`tollgate: the ledger database (PostgreSQL at 127.0.0.1:5432/${db}) refused to open: database "${db}" does not exist`);
      expect(result.stderr).not.toMatch(/pw-canary|\n\s+at /);
    }
    const doctor = await run(['doctor', '--port', '0'], env, work);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(`fail  data      ${env.TOLLGATE_DATA_DIR} (from TOLLGATE_DATA_DIR), ledger and keys in PostgreSQL at 127.0.0.1:5432/${db}: the ledger cannot be opened`);
    expect(doctor.stdout + doctor.stderr).not.toMatch(/pw-canary/);
  }, 120_000);
});
