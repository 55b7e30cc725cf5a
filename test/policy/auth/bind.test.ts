import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { isLoopbackHost, UnsafeBindError } from '../../../src/policy/auth/bind.js';
import { startServer } from '../../../src/server.js';
import { openStore } from '../../support/store.js';

/** A gateway reachable from other machines never starts open. */
let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bind-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const config = parseConfig({ logLevel: 'silent' }, {});

describe('binding', () => {
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '', '127.example.com']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('refuses to listen on 0.0.0.0 with no key, issuer or admin key, and says what to do', async () => {
    const error = await startServer({ config, dataDir, port: 0, host: '0.0.0.0', env: {}, logLevel: 'silent' }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(UnsafeBindError);
    expect((error as Error).message).toMatch(/refusing to listen on 0\.0\.0\.0.*tollgate keys create.*TOLLGATE_ADMIN_KEY.*127\.0\.0\.1/);
  });

  it('listens on 0.0.0.0 once an admin key is set, and then refuses callers without a credential', async () => {
    const server = await startServer({ config, dataDir, port: 0, host: '0.0.0.0', env: { TOLLGATE_ADMIN_KEY: 'admin-xyz-123456' }, logLevel: 'silent' });
    try {
      const port = new URL(server.url).port;
      const refused = await fetch(`http://127.0.0.1:${port}/v1/models`);
      expect(refused.status).toBe(401);
      const allowed = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: 'Bearer admin-xyz-123456' } });
      expect(allowed.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('listens on 0.0.0.0 once a key exists; revoking every key then locks the gateway rather than opening it', async () => {
    const store = await openStore(dataDir);
    const { key, record } = (await store.keys.create({ name: 'bind-test' }));
    const server = await startServer({ config, dataDir, port: 0, host: '0.0.0.0', env: {}, logLevel: 'silent' });
    try {
      const base = `http://127.0.0.1:${new URL(server.url).port}`;
      expect((await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      (await store.keys.revoke(record.id));
      expect((await fetch(`${base}/v1/models`)).status).toBe(401);
      expect((await fetch(`${base}/health`)).status).toBe(200);
    } finally {
      await store.close();
      await server.close();
    }
  });
});
