/**
 * A loopback HTTP balancer that sends each request to the next backend in turn, as a
 * round-robin load balancer does, streaming both ways (SSE answers pass through as they come).
 * It records which backend served each request.
 */
import { createServer, request as forward, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Routed {
  method: string;
  /** Index of the backend in the list given to the proxy. */
  backend: number;
  headers: IncomingHttpHeaders;
  /** The request body, as text. */
  body: string;
  /** Resolves with the backend's status once its answer's headers have come (a stream is then open). */
  answered: Promise<number>;
}

export interface RoundRobinProxy {
  url: string;
  routed: Routed[];
  /** The first request routed (or, if none yet, the next) that `matches`. */
  waitFor(matches: (routed: Routed) => boolean): Promise<Routed>;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(backends: string[]): Promise<RoundRobinProxy> {
  const routed: Routed[] = [];
  const waiting: Array<{ matches: (routed: Routed) => boolean; resolve: (routed: Routed) => void }> = [];
  let next = 0;
  const server = createServer((req, res) => {
    const backend = next++ % backends.length;
    const target = new URL(req.url ?? '/', backends[backend]);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let answered!: (status: number) => void;
      const entry: Routed = { method: req.method ?? 'GET', backend, headers: req.headers, body: body.toString(), answered: new Promise((resolve) => (answered = resolve)) };
      routed.push(entry);
      for (const waiter of waiting.filter((candidate) => candidate.matches(entry))) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve(entry);
      }
      const upstream = forward(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
        answered(answer.statusCode ?? 502);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      // The client going away ends the backend's stream too.
      res.on('close', () => upstream.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    routed,
    waitFor: (matches) => {
      const found = routed.find(matches);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiting.push({ matches, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
