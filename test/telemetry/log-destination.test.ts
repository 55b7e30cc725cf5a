/**
 * Log lines are gathered into blocks before they are written: none may be lost or reordered, a
 * lone line must still appear while the process lives, and what is gathered is written at exit.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cleanEnv, repoRoot } from '../support/cli.js';

const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const loggerModule = pathToFileURL(join(repoRoot, 'src', 'logger.ts')).href;

/** Runs `body` in a child process with `logger` (JSON, info) in scope; resolves with its stderr once `done(stderr)` says so or it exits. */
function runLogging(body: string, done: (stderr: string) => boolean = () => false): Promise<{ stderr: string; code: number | null }> {
  const script = `import { createLogger } from ${JSON.stringify(loggerModule)};\nconst logger = createLogger('info', { pretty: false });\n${body}`;
  const child = spawn(process.execPath, ['--import', tsxLoader, '--input-type=module', '-e', script], { env: cleanEnv({ TOLLGATE_LOG_FORMAT: 'json' }), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (done(stderr)) child.kill('SIGKILL');
    });
    child.once('close', (code) => resolve({ stderr, code }));
  });
}

const messages = (stderr: string) => stderr.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { msg: string }).msg);

describe('the log destination', () => {
  it('writes a lone line while the process lives, though it fills no block', async () => {
    // The child never ends by itself: only the line reaching stderr ends it.
    const { stderr } = await runLogging(`logger.info('alone');\nsetInterval(() => {}, 1_000);`, (text) => text.includes('"msg":"alone"'));
    expect(messages(stderr)).toEqual(['alone']);
  });

  it('writes what is still gathered when the process exits at once', async () => {
    const { stderr, code } = await runLogging(`for (let i = 0; i < 3; i++) logger.info('line ' + i);\nprocess.exit(0);`);
    expect(code).toBe(0);
    expect(messages(stderr)).toEqual(['line 0', 'line 1', 'line 2']);
  });

  it('loses and reorders no line across many blocks', async () => {
    const count = 5_000;
    const { stderr, code } = await runLogging(`for (let i = 0; i < ${count}; i++) logger.info({ i, pad: 'x'.repeat(40) }, 'line ' + i);\nsetImmediate(() => process.exit(0));`);
    expect(code).toBe(0);
    expect(messages(stderr)).toEqual(Array.from({ length: count }, (_, i) => `line ${i}`));
  });
});
