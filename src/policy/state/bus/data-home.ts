/**
 * The bus of a data home without Redis: one `serve` and each `tollgate mcp` an MCP host started on
 * the same folder are separate processes. A process that listens opens a socket of its own in
 * the folder's `bus` directory (a named pipe on Windows, with a file there naming it); a message
 * goes to every socket there, over one connection kept per peer so its messages arrive in order.
 * A socket whose process is gone (connection refused) is removed by the first process to notice.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { StateUnavailableError } from '../types.js';
import type { NotificationBus, Unsubscribe } from './types.js';

export const BUS_DIR = 'bus';
const SUFFIX = '.sock';
/** A peer that reads nothing is cut off past this much unsent, rather than held in memory. */
const MAX_UNSENT_BYTES = 1024 * 1024;

const Envelope = z.object({ channel: z.string(), message: z.string() });

type Listener = (message: string) => void;

export class DataHomeNotificationBus implements NotificationBus {
  readonly description: string;
  private readonly dir: string;
  private readonly channels = new Map<string, Set<Listener>>();
  private readonly peers = new Map<string, Socket>();
  private readonly id = randomBytes(6).toString('hex');
  private server: Promise<Server | undefined> | undefined;
  private closed = false;

  constructor(dataDir: string) {
    this.dir = join(dataDir, BUS_DIR);
    this.description = `data home (${this.dir})`;
  }

  async publish(channel: string, message: string): Promise<void> {
    this.deliver(channel, message);
    const line = `${JSON.stringify({ channel, message })}\n`;
    for (const peer of this.peerNames()) {
      if (peer === this.id) continue;
      const socket = this.peer(peer);
      if (socket.writableLength > MAX_UNSENT_BYTES) socket.destroy();
      else socket.write(line);
    }
  }

  async subscribe(channel: string, listener: Listener): Promise<Unsubscribe> {
    if (this.closed) throw new StateUnavailableError(`the notification bus (${this.description}) is closed`);
    // A folder whose socket cannot be made (a path past the system's limit) still serves this
    // process's own listeners: only the other processes' messages are missed.
    this.server ??= this.listen().catch(() => undefined);
    await this.server;
    let listeners = this.channels.get(channel);
    if (!listeners) this.channels.set(channel, (listeners = new Set()));
    const entry: Listener = (message) => listener(message);
    listeners.add(entry);
    return async () => {
      listeners.delete(entry);
      if (listeners.size === 0 && this.channels.get(channel) === listeners) this.channels.delete(channel);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.channels.clear();
    // What was written is sent before the connections close: a CLI process ends right after.
    await Promise.all(
      [...this.peers.values()].map((socket) => new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.ref();
        socket.end();
      })),
    );
    this.peers.clear();
    const server = await this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(join(this.dir, `${this.id}${SUFFIX}`), { force: true });
  }

  private deliver(channel: string, message: string): void {
    for (const listener of [...(this.channels.get(channel) ?? [])]) listener(message);
  }

  private peerNames(): string[] {
    try {
      return readdirSync(this.dir).flatMap((name) => (name.endsWith(SUFFIX) ? [name.slice(0, -SUFFIX.length)] : []));
    } catch {
      return [];
    }
  }

  private peer(name: string): Socket {
    const known = this.peers.get(name);
    if (known && !known.destroyed) return known;
    const socket = connect(this.address(name));
    socket.unref();
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A socket file nobody listens on any more: its process ended without closing the bus.
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') rmSync(join(this.dir, `${name}${SUFFIX}`), { force: true });
    });
    socket.on('close', () => {
      if (this.peers.get(name) === socket) this.peers.delete(name);
    });
    this.peers.set(name, socket);
    return socket;
  }

  private address(name: string): string {
    return process.platform === 'win32' ? `\\\\.\\pipe\\tollgate-bus-${name}` : join(this.dir, `${name}${SUFFIX}`);
  }

  private async listen(): Promise<Server> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const server = createServer((socket) => this.read(socket));
    server.unref();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.address(this.id), () => {
        server.off('error', reject);
        resolve();
      });
    });
    // On Windows the pipe lives outside the folder: a file there names it to the other processes.
    if (process.platform === 'win32') writeFileSync(join(this.dir, `${this.id}${SUFFIX}`), '');
    return server;
  }

  private read(socket: Socket): void {
    socket.unref();
    socket.setEncoding('utf8');
    let pending = '';
    socket.on('data', (chunk: string) => {
      pending += chunk;
      if (pending.length > MAX_UNSENT_BYTES) return socket.destroy();
      let end: number;
      while ((end = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        let envelope: z.infer<typeof Envelope>;
        try {
          envelope = Envelope.parse(JSON.parse(line));
        } catch {
          continue;
        }
        this.deliver(envelope.channel, envelope.message);
      }
    });
    socket.on('error', () => undefined);
  }
}
