/**
 * `serve --workers 2`: a scrape reaches one worker, yet `/metrics` counts the whole gateway.
 * Requests go in over several connections, which the cluster deals out to both workers (seen in
 * each worker's open sockets); every scrape, whichever worker answers it, shows the sum.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, waitForUrl } from '../support/cli.js';
import { deletePrefix, REDIS_URL, redisAvailable, testPrefix } from '../support/redis.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

const REQUESTS = 40;
const CONNECTIONS = 8;

let upstream: StartedUpstream;
let work: string;
const prefix = testPrefix();

beforeAll(async () => {
  upstream = await startUpstream();
  work = mkdtempSync(join(tmpdir(), 'tollgate-cluster-metrics-'));
});
afterAll(async () => {
  await upstream?.close();
  rmSync(work, { recursive: true, force: true });
  if (redisAvailable) await deletePrefix(prefix);
});

/** The inodes of established TCP sockets whose local port is `port` (the server's side of each connection). */
function serverSocketInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const localPort = Number.parseInt(fields[1]!.split(':')[1]!, 16);
      if (localPort === port && fields[3] === '01') inodes.add(fields[9]!);
    }
  }
  return inodes;
}

/** How many of these sockets a process holds open. */
function socketsHeldBy(pid: number, inodes: Set<string>): number {
  let held = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match && inodes.has(match[1]!)) held++;
    } catch {
      // closed meanwhile
    }
  }
  return held;
}

function requestsTotal(text: string): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith('tollgate_requests_total{') || line.startsWith('tollgate_requests_total ')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

describe.skipIf(!redisAvailable)(`/metrics under serve --workers 2${redisAvailable ? '' : ' (skipped: no Redis on 127.0.0.1:6379)'}`, () => {
  it('shows tollgate_requests_total summed over both workers, whichever worker answers the scrape', async () => {
    const configFile = join(work, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        logLevel: 'warn',
        store: { redis: REDIS_URL, redisKeyPrefix: prefix },
        providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { m: { pricing: { input: 1, output: 1 } } } } },
      }),
    );
    const server = runCli(['serve', '--port', '0', '--workers', '2', '--config', configFile, '--data-dir', join(work, 'data')], {});
    try {
      const url = await waitForUrl(server, 120_000);
      const workers = readFileSync(`/proc/${server.child.pid}/task/${server.child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
      expect(workers).toHaveLength(2);

      const agent = new Agent({ connections: CONNECTIONS, pipelining: 1 });
      const statuses = await Promise.all(
        Array.from({ length: REQUESTS }, async (_, n) => {
          const response = await request(`${url}/v1/chat/completions`, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'up/m', max_tokens: 16, messages: [{ role: 'user', content: `request ${n}` }] }),
          });
          await response.body.text();
          return response.statusCode;
        }),
      );
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      // The client's connections are still open: each worker holds some of them.
      const inodes = serverSocketInodes(Number(new URL(url).port));
      const held = workers.map((pid) => socketsHeldBy(pid, inodes));
      expect(held.reduce((a, b) => a + b, 0)).toBe(CONNECTIONS);
      for (const count of held) expect(count).toBeGreaterThan(0);
      await agent.close();

      // Each scrape on a fresh connection: the cluster deals them out to both workers in turn.
      for (let scrape = 0; scrape < 4; scrape++) {
        const response = await request(`${url}/metrics`, { dispatcher: new Agent({ pipelining: 0 }) });
        const text = await response.body.text();
        expect(response.statusCode, text).toBe(200);
        expect(requestsTotal(text)).toBe(REQUESTS);
        expect(text).toContain(`tollgate_requests_total{face="openai",model="up/m",provider="up",status="ok",error_kind=""} ${REQUESTS}\n`);
      }
    } finally {
      await server.stop();
    }
  }, 300_000);
});
