// Child processes of the bench: start them, watch their memory, and make sure they end.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

const children = new Set<ChildProcess>();
/** Processes below our children (e.g. cluster workers), seen while sampling memory. */
const grandchildren = new Map<number, string>();

function alive(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null;
}

function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

/** The last bytes a child wrote, to show when it fails. */
export class Tail {
  private buf = '';
  constructor(private readonly max = 16_384) {}
  push(chunk: Buffer | string): void {
    this.buf += chunk.toString();
    if (this.buf.length > this.max) this.buf = this.buf.slice(-this.max);
  }
  toString(): string {
    return this.buf;
  }
  /** Returns what was held and starts afresh. */
  take(): string {
    const b = this.buf;
    this.buf = '';
    return b;
  }
}

/**
 * Forks a bench script (the upstream, the floor proxy) through tsx and waits for it to say on
 * IPC which ports it listens on.
 */
export async function startUpstream(
  script: string,
  args: string[] = [],
  timeoutMs = 20_000,
  name = 'upstream',
): Promise<{ child: ChildProcess; port: number; ports: number[] }> {
  const tail = new Tail();
  const child = track(
    fork(script, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }),
  );
  child.stdout?.on('data', (c: Buffer) => tail.push(c));
  child.stderr?.on('data', (c: Buffer) => tail.push(c));
  const ports = await new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms\n${tail}`)), timeoutMs);
    child.on('message', (m: unknown) => {
      if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'listening') {
        clearTimeout(timer);
        const msg = m as { port: unknown; ports?: unknown };
        resolve(Array.isArray(msg.ports) ? msg.ports.map(Number) : [Number(msg.port)]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited early (code ${code}, signal ${signal})\n${tail}`));
    });
  });
  return { child, port: ports[0], ports };
}

export interface Gateway {
  child: ChildProcess;
  output: Tail;
}

/**
 * Starts `node ARGS` in `cwd` (Tollgate, or a peer gateway) with its output kept in a tail, or
 * its stderr written to `stderrFd` (a file), so that reading its logs costs the bench nothing.
 */
export function spawnGateway(cwd: string, args: string[], env: NodeJS.ProcessEnv, stderrFd?: number): Gateway {
  const output = new Tail();
  const child = track(spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', stderrFd ?? 'pipe'] }));
  // A failed spawn is seen by waitForHealth (the child is not alive); do not let it throw here.
  child.once('error', (e) => output.push(`spawn failed: ${e.message}\n`));
  child.stdout?.on('data', (c: Buffer) => output.push(c));
  child.stderr?.on('data', (c: Buffer) => output.push(c));
  return { child, output };
}

/** Stops one child: SIGTERM, a bounded wait, then SIGKILL. */
export async function stopChild(c: ChildProcess, graceMs = 3000): Promise<void> {
  if (!alive(c)) return;
  c.kill('SIGTERM');
  const deadline = Date.now() + graceMs;
  for (let i = 0; i < 400 && Date.now() < deadline && alive(c); i++) await sleep(25);
  if (alive(c)) c.kill('SIGKILL');
  for (let i = 0; i < 40 && alive(c); i++) await sleep(25);
}

/** Runs a command to its end (bounded by `timeoutMs`), tracked so that a signal ends it too. */
export function runTracked(
  command: string,
  args: string[],
  opts: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean; output: string }> {
  return new Promise((resolve) => {
    const out = new Tail(8192);
    let timedOut = false;
    const child = track(spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] }));
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => out.push(c));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => alive(child) && child.kill('SIGKILL'), 3000).unref();
    }, opts.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, signal: null, timedOut, output: `${out}\n${e.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output: out.toString() });
    });
  });
}

/** Polls `GET url` until 200, the child exits, or the time is up. */
export async function waitForHealth(url: string, gw: Gateway, timeoutMs: number, name = 'Tollgate', okStatus: (status: number) => boolean = (s) => s === 200): Promise<number> {
  const start = Date.now();
  const maxAttempts = Math.ceil(timeoutMs / 100) + 1;
  let last = '';
  for (let i = 0; i < maxAttempts && Date.now() - start < timeoutMs; i++) {
    if (!alive(gw.child)) {
      throw new Error(
        `${name} exited before it was healthy (code ${gw.child.exitCode}, signal ${gw.child.signalCode})\n${gw.output}`,
      );
    }
    try {
      const res = await request(url, { method: 'GET', headersTimeout: 2000, bodyTimeout: 2000 });
      const text = await res.body.text();
      if (okStatus(res.statusCode)) return Date.now() - start;
      last = `HTTP ${res.statusCode}: ${text.slice(0, 300)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} was not healthy within ${timeoutMs} ms (last: ${last})\n${gw.output}`);
}

function readStat(pid: number): { ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces; fields follow the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** `pid` and every process below it, found from /proc (bounded by the number of processes). */
export function processTree(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [pid];
  }
  const byParent = new Map<number, number[]>();
  for (const e of entries.slice(0, 100_000)) {
    const p = Number(e);
    const st = readStat(p);
    if (!st) continue;
    const list = byParent.get(st.ppid) ?? [];
    list.push(p);
    byParent.set(st.ppid, list);
  }
  const out: number[] = [pid];
  for (let i = 0; i < out.length && i < 10_000; i++) {
    for (const c of byParent.get(out[i]) ?? []) out.push(c);
  }
  return out;
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

/** User + system CPU time of a process tree (its threads included), in ms; 0 if gone. */
export function cpuMs(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command name.
      ticks += Number(rest[11]) + Number(rest[12]);
    } catch {
      // gone
    }
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}

/** VmRSS of one process in bytes, or 0 if it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Samples the summed RSS of a process tree. The tree is re-read now and then (not every
 * sample) so that sampling stays cheap next to the load it watches.
 */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private pids: number[];
  private ticks = 0;
  peak = 0;
  peakProcesses = 1;
  samples = 0;
  private phasePeak = 0;

  constructor(private readonly rootPid: number, private readonly intervalMs = 200) {
    this.pids = processTree(rootPid);
  }

  sample(): number {
    if (this.ticks++ % 10 === 0) {
      this.pids = processTree(this.rootPid);
      for (const p of this.pids) if (p !== this.rootPid) grandchildren.set(p, cmdline(p));
    }
    let total = 0;
    for (const p of this.pids) total += rssBytes(p);
    this.samples++;
    if (total > this.peak) {
      this.peak = total;
      this.peakProcesses = this.pids.length;
    }
    if (total > this.phasePeak) this.phasePeak = total;
    return total;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Peak since the last call; starts a new phase. */
  takePhasePeak(): number {
    const p = this.phasePeak;
    this.phasePeak = 0;
    return p;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** SIGTERM our children, wait a bounded time, then SIGKILL what is left, by pid. */
export async function stopAll(graceMs = 3000): Promise<void> {
  for (const c of children) if (alive(c)) c.kill('SIGTERM');
  const deadline = Date.now() + graceMs;
  for (let i = 0; i < 200 && Date.now() < deadline && [...children].some(alive); i++) await sleep(25);
  for (const c of children) if (alive(c)) c.kill('SIGKILL');
  await sleep(50);
  killStrayGrandchildren();
  killAdopted();
}

/** Processes that our gateway started and that outlived it: same command line, same pid. */
function killStrayGrandchildren(): void {
  for (const [pid, cmd] of grandchildren) {
    if (cmd !== '' && cmdline(pid) === cmd) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  grandchildren.clear();
}

/**
 * Processes started for us by a library (the MCP SDK's stdio transport spawns `tollgate mcp`):
 * killed with the rest if the library did not end them, as long as the pid still runs the
 * same command line.
 */
const adopted = new Map<number, string>();

export function adopt(pid: number | null | undefined): void {
  if (pid) adopted.set(pid, cmdline(pid));
}

function killAdopted(): void {
  for (const [pid, cmd] of adopted) {
    if (cmd !== '' && cmdline(pid) === cmd) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  adopted.clear();
}

/** Last resort on process exit: synchronous, no waiting. */
export function killAllNow(): void {
  for (const c of children) if (alive(c)) c.kill('SIGKILL');
  killStrayGrandchildren();
  killAdopted();
}

/** The repository root: the nearest folder above this file holding package.json. */
export function repoPath(...parts: string[]): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10 && !existsSync(path.join(dir, 'package.json')); i++) dir = path.dirname(dir);
  return path.resolve(dir, ...parts);
}

/** `Max open files` (soft limit) of a process, from /proc; null when unreadable. */
export function openFileLimit(pid: number | 'self'): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    if (!m) return null;
    return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
  } catch {
    return null;
  }
}

/** Open file descriptors of a process (sockets included), or null when unreadable. */
export function openFds(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/**
 * Local addresses of the TCP sockets listening on `port` (IPv4 and IPv6), as `a.b.c.d` or the
 * raw IPv6 hex: the bench checks a peer gateway listens on loopback only.
 */
export function listeningAddresses(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1, 200_001)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue;
      const [addr, portHex] = (f[1] ?? '').split(':');
      if (parseInt(portHex ?? '', 16) !== port) continue;
      if (addr && addr.length === 8) {
        const b = Buffer.from(addr, 'hex');
        out.push(`${b[3]}.${b[2]}.${b[1]}.${b[0]}`);
      } else if (addr) {
        out.push(addr);
      }
    }
  }
  return out;
}

/** True for 127.0.0.0/8 and ::1 (and v4-mapped loopback) as /proc/net prints them. */
export function isLoopbackAddress(a: string): boolean {
  if (/^127\./.test(a)) return true;
  if (a === '00000000000000000000000001000000') return true; // ::1
  // ::ffff:127.x.y.z, printed as four little-endian 32-bit words.
  return /^0000000000000000FFFF0000[0-9A-F]{6}7F$/i.test(a);
}

export function isAlive(c: ChildProcess): boolean {
  return alive(c);
}

/** What every section that starts its own Tollgates against the bench's upstream is given. */
export interface GatewaySectionOptions {
  root: string;
  /** How to run the Tollgate CLI (`dist/cli.js`, or through tsx). */
  nodeArgs: string[];
  tmp: string;
  upOrigin: string;
  upstreamApiKey: string;
  check: (body: string) => boolean;
  connections: number;
  durationS: number;
  runs: number;
  freePort: () => Promise<number>;
  log: (line: string) => void;
}
