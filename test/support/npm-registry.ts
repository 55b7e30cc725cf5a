/**
 * A loopback npm registry that knows exactly the packages of the lockfile, so that `npm install
 * --global` of a packed tarball resolves its dependencies without the network: npm asks this
 * registry for each package's metadata, and takes the tarballs from its own cache by their
 * integrity (which `npm ci` filled). A tarball missing from the cache is asked of this registry,
 * which answers 404: the install then fails instead of reaching the internet.
 *
 * The lockfile holds the tree with the project's `overrides` applied, but records each package's
 * dependencies as published; npm applies `overrides` only when the project is the root of the
 * install. So the metadata served here states the overridden versions, as the lockfile has them.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

interface LockEntry {
  name?: string;
  version?: string;
  integrity?: string;
  dev?: boolean;
  link?: boolean;
  dependencies?: Record<string, string>;
  [field: string]: unknown;
}

/** The package.json fields npm reads from registry metadata to place and build a package. */
const MANIFEST_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines', 'os', 'cpu', 'license', 'hasInstallScript'];

export interface LoopbackRegistry {
  url: string;
  /** Package names npm asked for that the lockfile does not have (optional peers, typically). */
  unknown: string[];
  close(): Promise<void>;
}

export async function startLockfileRegistry(projectRoot: string): Promise<LoopbackRegistry> {
  const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const overrides = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { overrides?: Record<string, string> }).overrides ?? {};
  const packuments = new Map<string, { name: string; versions: Record<string, Record<string, unknown>> }>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path || entry.dev || entry.link || !entry.version || !entry.integrity) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const manifest: Record<string, unknown> = { name, version: entry.version };
    for (const field of MANIFEST_FIELDS) if (entry[field] !== undefined) manifest[field] = entry[field];
    if (entry.dependencies) manifest.dependencies = Object.fromEntries(Object.entries(entry.dependencies).map(([dep, range]) => [dep, overrides[dep] ?? range]));
    manifest.dist = { integrity: entry.integrity, tarball: `/${name}/-/${name.split('/').pop()}-${entry.version}.tgz` };
    const packument = packuments.get(name) ?? { name, versions: {} };
    packument.versions[entry.version] = manifest;
    packuments.set(name, packument);
  }

  const unknown: string[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1).split('?')[0]!);
    const packument = packuments.get(name);
    if (req.method !== 'GET' || !packument) {
      if (!name.includes('/-/')) unknown.push(name);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const versions = Object.fromEntries(
      Object.entries(packument.versions).map(([version, manifest]) => [version, { ...manifest, dist: { ...(manifest.dist as object), tarball: `${origin}${(manifest.dist as { tarball: string }).tarball}` } }]),
    );
    const latest = Object.keys(versions).at(-1)!;
    // no-store: npm must not keep this metadata in its cache, which other installs share.
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ name, 'dist-tags': { latest }, versions }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/`,
    unknown,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
