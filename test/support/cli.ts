import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The CLI from source, as `node --import tsx src/cli.ts …` (the built bin runs the same code). */
export function cliCommand(args: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', 'tsx', 'src/cli.ts', ...args] };
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function runCli(args: string[], env: Record<string, string | undefined>): CliProcess {
  const { command, args: fullArgs } = cliCommand(args);
  const child = spawn(command, fullArgs, { cwd: repoRoot, env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
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

/** The test machine's env minus anything that would configure a provider or Tollgate itself. */
export function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/(_API_KEY|_BASE_URL)$/.test(name) || name.startsWith('TOLLGATE_')) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
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
