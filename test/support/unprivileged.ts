/**
 * Root ignores file modes, so a read-only folder is no obstacle to it. Where a test needs a
 * folder a command cannot write, the command runs as `nobody` when the tests run as root.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** The user commands run as: `nobody` under root, else the tests' own (undefined). */
export const runAs: { uid: number; gid: number } | undefined = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

/** Makes a folder the commands' user owns (under root: hands it to `nobody`). */
export function ownedFolder(path: string): string {
  mkdirSync(path, { recursive: true });
  if (runAs) chownSync(path, runAs.uid, runAs.gid);
  return path;
}

/** A folder the commands' user can enter and read but not write. */
export function readOnlyFolder(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o555 });
  return path;
}

/**
 * MCP over a child's stdio, for a child the SDK's StdioClientTransport cannot start (it takes
 * no user id). Messages are framed by the SDK's own ReadBuffer and serializeMessage.
 */
export class ChildProcessTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private child: ChildProcess | undefined;
  private readonly buffer = new ReadBuffer();
  private stderrText = '';

  constructor(
    private readonly command: string,
    private readonly args: string[],
    private readonly options: SpawnOptions,
  ) {}

  async start(): Promise<void> {
    const child = spawn(this.command, this.args, { ...this.options, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (let message = this.buffer.readMessage(); message; message = this.buffer.readMessage()) this.onmessage?.(message);
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderrText += chunk.toString()));
    child.once('error', (error) => this.onerror?.(error));
    child.once('exit', () => this.onclose?.());
  }

  async send(message: JSONRPCMessage): Promise<void> {
    this.child!.stdin!.write(serializeMessage(message));
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin!.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  stderr(): string {
    return this.stderrText;
  }

  exitCode(): number | null {
    return this.child?.exitCode ?? null;
  }
}
