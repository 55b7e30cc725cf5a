/**
 * The run's last line, which CI reads, counts an `it.fails` test that failed as expected as an
 * expected failure, not as a pass; one that passed after all is a failure.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cleanEnv, repoRoot } from '../support/cli.js';

it('counts expected failures on their own, and an it.fails that passed as a failure', async () => {
  const child = spawn(process.execPath, [join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', join(repoRoot, 'test', 'support', 'summary-fixture', 'vitest.config.ts')], {
    cwd: repoRoot,
    env: cleanEnv({ CI: '1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code, out).toBe(1);
  expect(out.trimEnd().split('\n').at(-1)).toBe('1 passed, 1 failed, 1 skipped, 1 expected failure');
}, 60_000);
