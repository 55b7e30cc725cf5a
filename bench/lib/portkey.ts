// Portkey's open-source gateway as a peer in the same run (PEERS.md): installed on demand into
// a cache folder under bench/results (ignored by git, never a project dependency), started on
// loopback only, routed to the bench upstream with Portkey's own headers.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  isLoopbackAddress,
  listeningAddresses,
  runTracked,
  spawnGateway,
  stopChild,
  waitForHealth,
  type Gateway,
} from './procs.js';

export const PORTKEY_VERSION = '1.15.2';
/**
 * With the versions a plain install resolves, every streaming request fails
 * (`TypeError: immutable`, Portkey issues 1389/1550); these are the ones that work.
 */
export const PORTKEY_OVERRIDES = { '@hono/node-server': '1.13.5', hono: '4.9.7' } as const;
const ENTRY = path.join('node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
const PRELOAD = fileURLToPath(new URL('./loopback-preload.cjs', import.meta.url));
const INSTALL_TIMEOUT_MS = 300_000;

const manifest = {
  name: 'tollgate-bench-peer-portkey',
  private: true,
  description: "Portkey's open-source gateway for Tollgate's bench (bench/lib/portkey.ts). Not a project dependency.",
  dependencies: { '@portkey-ai/gateway': PORTKEY_VERSION },
  overrides: PORTKEY_OVERRIDES,
};

function installedVersion(dir: string, pkg: string): string | null {
  try {
    const p = JSON.parse(readFileSync(path.join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof p.version === 'string' ? p.version : null;
  } catch {
    return null;
  }
}

function isInstalled(dir: string): boolean {
  return (
    existsSync(path.join(dir, ENTRY)) &&
    installedVersion(dir, '@portkey-ai/gateway') === PORTKEY_VERSION &&
    Object.entries(PORTKEY_OVERRIDES).every(([pkg, v]) => installedVersion(dir, pkg) === v)
  );
}

export type InstallOutcome = { ok: true; installedNow: boolean; ms: number } | { ok: false; reason: string };

/** Installs Portkey into `dir` unless the right versions are there already. */
export async function ensurePortkey(dir: string, log: (s: string) => void): Promise<InstallOutcome> {
  const start = Date.now();
  if (isInstalled(dir)) return { ok: true, installedNow: false, ms: 0 };
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  log(`bench: installing @portkey-ai/gateway@${PORTKEY_VERSION} into ${dir} (once; cached after)`);
  const r = await runTracked('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel', 'error'], {
    cwd: dir,
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${INSTALL_TIMEOUT_MS / 1000} s` : `exit ${r.code ?? r.signal}`;
    return { ok: false, reason: `npm install failed (${why}): ${r.output.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}` };
  }
  if (!isInstalled(dir)) {
    return {
      ok: false,
      reason: `npm install ran but the versions are not the expected ones (gateway ${installedVersion(dir, '@portkey-ai/gateway')}, hono ${installedVersion(dir, 'hono')}, @hono/node-server ${installedVersion(dir, '@hono/node-server')})`,
    };
  }
  return { ok: true, installedNow: true, ms: Date.now() - start };
}

export interface RunningPortkey {
  gw: Gateway;
  pid: number;
  port: number;
  origin: string;
  healthyAfterMs: number;
}

/** Starts Portkey on 127.0.0.1:`port` and checks it listens on loopback only. */
export async function startPortkey(dir: string, port: number): Promise<RunningPortkey> {
  const gw = spawnGateway(dir, ['-r', PRELOAD, ENTRY, `--port=${port}`, '--headless'], { ...process.env });
  const origin = `http://127.0.0.1:${port}`;
  try {
    // Portkey answers GET / with a greeting; any answer below 500 means it is up.
    const healthyAfterMs = await waitForHealth(`${origin}/`, gw, 30_000, 'Portkey', (s) => s < 500);
    const addrs = listeningAddresses(port);
    if (addrs.length === 0 || !addrs.every(isLoopbackAddress)) {
      throw new Error(`Portkey listens on ${addrs.join(', ') || 'nothing seen in /proc/net/tcp'}, not on loopback only; stopped`);
    }
    return { gw, pid: gw.child.pid ?? 0, port, origin, healthyAfterMs };
  } catch (e) {
    await stopChild(gw.child, 2000);
    throw e;
  }
}

/** Headers that route a request through Portkey to an OpenAI-compatible upstream. */
export function portkeyHeaders(upstreamOrigin: string, apiKey: string, userAgent: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': userAgent,
    authorization: `Bearer ${apiKey}`,
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `${upstreamOrigin}/v1`,
  };
}
