import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** tsx's loader and the CLI's source by absolute path, so the CLI runs from any working directory. */
const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const cliSource = join(repoRoot, 'src', 'cli.ts');

/** The CLI from source, as `node --import tsx src/cli.ts …` (the built bin runs the same code). */
export function cliCommand(args: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', tsxLoader, cliSource, ...args] };
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** `cwd` defaults to the repository; `uid`/`gid` run the command as another user (tests under root). */
export function runCli(args: string[], env: Record<string, string | undefined>, options: { cwd?: string; uid?: number; gid?: number } = {}): CliProcess {
  const { command, args: fullArgs } = cliCommand(args);
  const child = spawn(command, fullArgs, { ...options, cwd: options.cwd ?? repoRoot, env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

let dataHomeOfTests: string | undefined;

/**
 * The test machine's env minus anything that would configure a provider or Tollgate itself
 * (`PORT` included). The user's data directory is a folder of this test process, so a command
 * run without a data folder never touches the real one.
 */
export function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/(_API_KEY|_BASE_URL)$/.test(name) || name.startsWith('TOLLGATE_') || name === 'PORT') continue;
    env[name] = value;
  }
  if (!dataHomeOfTests) {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-xdg-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    dataHomeOfTests = dir;
  }
  return { ...env, XDG_DATA_HOME: dataHomeOfTests, ...extra };
}

/** Waits for the `listening on http://…` line the server prints on stderr. */
export async function waitForUrl(cli: CliProcess, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /listening on (http:\/\/\S+)/.exec(cli.stderr());
    if (match) return match[1]!;
    if (cli.child.exitCode !== null) throw new Error(`the server exited with ${cli.child.exitCode}: ${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the server did not start in ${timeoutMs} ms: ${cli.stderr()}`);
}
