/**
 * A TCP proxy on a loopback port in front of a real service, which a test can cut (every
 * connection dropped, new ones refused) and restore: an outage of the service as its clients
 * see it, without touching the service others use. It also keeps what clients write, chunk by
 * chunk: a client that sends a batch of commands in one write shows as one chunk, so a test can
 * count its round trips.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Written {
  /** Which client connection wrote it, numbered from 1 in the order they connected. */
  connection: number;
  chunk: Buffer;
}

export interface TcpProxy {
  port: number;
  /** What clients wrote, in arrival order; a test may empty it. */
  readonly written: Written[];
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const written: Written[] = [];
  let connections = 0;
  let server: Server | undefined;
  let port = 0;

  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(target);
      const connection = ++connections;
      client.on('data', (chunk: Buffer) => written.push({ connection, chunk }));
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server!.address() as { port: number }).port;
  };
  const stop = async () => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };

  await listen();
  return {
    get port() {
      return port;
    },
    written,
    cut: stop,
    restore: listen,
    close: stop,
  };
}
