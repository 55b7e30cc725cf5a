/**
 * The MCP host entries the README and mcp.json give (Claude Desktop, Claude Code's `claude mcp
 * add`, Cursor, VS Code; stdio and HTTP) connect as written, with an official MCP client, to a
 * running `tollgate serve` and the `tollgate mcp` they start: without a key while the gateway has
 * none, and with one once keys exist (when the keyless form is refused). Only the placeholders
 * are filled in: the key, the port, the clone's path.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, cliCommand, repoRoot, runCli, waitForUrl, type CliProcess } from '../support/cli.js';

type Entry =
  | { name: string; transport: 'stdio'; command: string; args: string[]; env: Record<string, string> }
  | { name: string; transport: 'http'; url: string; headers: Record<string, string> };

const KEY_PLACEHOLDERS = ['tg_...', '${input:tollgate-key}'];
const holdsKey = (value: string) => KEY_PLACEHOLDERS.some((placeholder) => value.includes(placeholder));

/** One host entry (`mcpServers.x` or VS Code's `servers.x`) as a transport to start. */
function fromJson(name: string, server: Record<string, unknown>): Entry {
  if (typeof server.url === 'string') return { name, transport: 'http', url: server.url, headers: (server.headers ?? {}) as Record<string, string> };
  return { name, transport: 'stdio', command: server.command as string, args: (server.args ?? []) as string[], env: (server.env ?? {}) as Record<string, string> };
}

function entriesOf(config: Record<string, unknown>, where: string): Entry[] {
  const servers = (config.mcpServers ?? config.servers) as Record<string, Record<string, unknown>>;
  return Object.entries(servers).map(([name, server]) => fromJson(`${where} ${name}`, server));
}

/** Words of a command line, double quotes kept together. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
}

/** `claude mcp add [--transport http] [-e K=V] [--header "H: V"] NAME (URL | -- COMMAND ARGS…)`. */
function fromClaudeMcpAdd(line: string): Entry {
  const tokens = words(line).slice(3);
  const env: Record<string, string> = {};
  const headers: Record<string, string> = {};
  let transport = 'stdio';
  const positional: string[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token === '--') {
      const [command, ...args] = tokens.slice(index + 1);
      return { name: `claude mcp add ${positional[0]}`, transport: 'stdio', command: command!, args, env };
    }
    if (token === '--transport') transport = tokens[++index]!;
    else if (token === '-e' || token === '--env') {
      const [name, ...value] = tokens[++index]!.split('=');
      env[name!] = value.join('=');
    } else if (token === '--header' || token === '-H') {
      const header = tokens[++index]!;
      headers[header.slice(0, header.indexOf(':'))] = header.slice(header.indexOf(':') + 1).trim();
    } else positional.push(token);
  }
  expect(transport, line).toBe('http');
  return { name: `claude mcp add --transport http ${positional[0]}${Object.keys(headers).length ? ' with a key' : ''}`, transport: 'http', url: positional[1]!, headers };
}

/** The entries of the README's MCP hosts section: its JSON block, inline JSON and `claude mcp add` lines. */
function readmeEntries(): Entry[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('### Claude Desktop, Claude Code, Cursor, VS Code (MCP)');
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  const entries: Entry[] = [];
  for (const [, block] of section.matchAll(/```json\n([\s\S]*?)```/g)) entries.push(...entriesOf(JSON.parse(block!) as Record<string, unknown>, 'README block'));
  for (const [, code] of section.matchAll(/`([^`\n]+)`/g)) {
    if (code!.startsWith('claude mcp add ')) entries.push(fromClaudeMcpAdd(code!));
    else if (/^\{ "(mcpServers|servers)"/.test(code!)) entries.push(...entriesOf(JSON.parse(code!) as Record<string, unknown>, 'README'));
  }
  return entries;
}

/** The entry as a host would start it without a key: the key's header and variable left out. */
function withoutKey(entry: Entry): Entry {
  if (entry.transport === 'http') return { ...entry, headers: Object.fromEntries(Object.entries(entry.headers).filter(([, value]) => !holdsKey(value))) };
  return { ...entry, env: Object.fromEntries(Object.entries(entry.env).filter(([, value]) => !holdsKey(value))) };
}

const needsKey = (entry: Entry) => (entry.transport === 'http' ? Object.values(entry.headers) : Object.values(entry.env)).some(holdsKey);

let work: string;
let server: CliProcess;
let url: string;
let xdg: string;
let bin: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tollgate-mcp-hosts-'));
  xdg = join(work, 'xdg');
  // `tollgate` on the PATH, as after `npm install --global` (the install itself: install.test.ts).
  bin = join(work, 'bin');
  mkdirSync(bin);
  const { command, args } = cliCommand([]);
  writeFileSync(join(bin, 'tollgate'), `#!/bin/sh\nexec ${[command, ...args].map((word) => `'${word}'`).join(' ')} "$@"\n`);
  chmodSync(join(bin, 'tollgate'), 0o755);
  server = runCli(['serve', '--port', '0'], { XDG_DATA_HOME: xdg }, { cwd: work });
  url = await waitForUrl(server, 90_000);
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Placeholders filled: the key, this server's address, this clone's path; provider keys left to the user. */
function fill(entry: Entry, key: string | undefined): Entry {
  const text = (value: string) => KEY_PLACEHOLDERS.reduce((filled, placeholder) => filled.replaceAll(placeholder, key ?? placeholder), value.replace('http://127.0.0.1:4100', url));
  if (entry.transport === 'http') return { ...entry, url: text(entry.url), headers: Object.fromEntries(Object.entries(entry.headers).map(([name, value]) => [name, text(value)])) };
  return {
    ...entry,
    args: entry.args.map((arg) => arg.replace('/path/to/tollgate/', `${repoRoot}/`)),
    env: Object.fromEntries(Object.entries(entry.env).filter(([, value]) => !/^sk-(ant-)?\.\.\.$/.test(value)).map(([name, value]) => [name, text(value)])),
  };
}

/** Connects as the host would and asks the chat tool; the answer's text, or the failure. */
async function chatThrough(entry: Entry, key?: string): Promise<string> {
  const filled = fill(entry, key);
  const transport =
    filled.transport === 'http'
      ? new StreamableHTTPClientTransport(new URL(filled.url), { requestInit: { headers: filled.headers } })
      : new StdioClientTransport({
          command: filled.command,
          args: filled.args,
          cwd: work,
          env: cleanEnv({ ...filled.env, XDG_DATA_HOME: xdg, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` }) as Record<string, string>,
          stderr: 'pipe',
        });
  const client = new Client({ name: 'mcp-host-configs', version: '1.0.0' });
  try {
    await client.connect(transport);
    const result = await client.callTool({ name: 'chat', arguments: { prompt: entry.name } });
    return result.isError ? `error: ${JSON.stringify(result.content)}` : ((result.structuredContent as { text: string }).text);
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  } finally {
    await client.close();
  }
}

describe('MCP host entries of the README and mcp.json, as written', { timeout: 240_000 }, () => {
  const entries = [...readmeEntries(), ...entriesOf(JSON.parse(readFileSync(join(repoRoot, 'mcp.json'), 'utf8')) as Record<string, unknown>, 'mcp.json')];

  it('finds every form: stdio and HTTP, for Claude Desktop, Claude Code, Cursor, VS Code and mcp.json', () => {
    expect(entries.map((entry) => `${entry.name} (${entry.transport}${needsKey(entry) ? ', key' : ''})`)).toEqual([
      'README block tollgate (stdio, key)',
      'claude mcp add tollgate (stdio, key)',
      'claude mcp add --transport http tollgate with a key (http, key)',
      'claude mcp add --transport http tollgate (http)',
      'README tollgate (http, key)',
      'README tollgate (http, key)',
      'README tollgate (stdio, key)',
      'mcp.json tollgate (stdio)',
      'mcp.json tollgate-with-key (stdio, key)',
      'mcp.json tollgate-from-clone (stdio)',
      'mcp.json tollgate-http (http)',
      'mcp.json tollgate-http-with-key (http, key)',
    ]);
  });

  it('connects without a key while the gateway has none, then with the key once one exists, when the keyless form is refused', async () => {
    for (const entry of entries) expect(await chatThrough(withoutKey(entry)), entry.name).toBe(`Echo: ${entry.name}`);

    const created = runCli(['keys', 'create', '--name', 'host', '--json'], { XDG_DATA_HOME: xdg }, { cwd: work });
    expect(await created.exited, created.stderr()).toBe(0);
    const { key } = JSON.parse(created.stdout()) as { key: string };

    for (const entry of entries.filter(needsKey)) expect(await chatThrough(entry, key), entry.name).toBe(`Echo: ${entry.name}`);
    for (const entry of entries) {
      const refused = await chatThrough(withoutKey(entry));
      expect(refused, entry.name).toMatch(entry.transport === 'http' ? /^refused: .*(401|[Uu]nauthorized|API key)/ : /^refused: /);
    }
  });
});
