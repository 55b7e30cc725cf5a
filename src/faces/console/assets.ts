/**
 * The web console's built files (`dist/console/`), served from memory: read once, on the first
 * request for them. Only files that were built are served, whatever the path asks for, so no
 * path can reach outside the folder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtAssetsRoot } from '../../http/built-assets.js';

export const CONSOLE_PATH = '/console';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/**
 * The console runs only its own scripts and talks only to this gateway: no inline script, no
 * other origin, no framing (its pages hold a key in memory).
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface Asset {
  body: Buffer;
  type: string;
  /** Built names carry a content hash (`app-3F2A….js`): they never change, so may be kept. */
  immutable: boolean;
}

export interface ConsoleAssets {
  /** Answers a request for `/console` or a path under it. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): void;
}

export function consoleAssets(folder: string = fileURLToPath(new URL('console/', builtAssetsRoot))): ConsoleAssets {
  let assets: Map<string, Asset> | null | undefined;
  const load = (): Map<string, Asset> | null => {
    if (assets !== undefined) return assets;
    try {
      assets = new Map();
      for (const name of readdirSync(folder, { recursive: true, encoding: 'utf8' })) {
        const type = TYPES[extname(name)];
        if (!type) continue;
        const urlPath = name.split(/[\\/]/).join('/');
        assets.set(urlPath, { body: readFileSync(join(folder, name)), type, immutable: /-[A-Z0-9]{8,}\.[a-z]+$/.test(urlPath) });
      }
      if (!assets.has('index.html')) assets = null;
    } catch {
      assets = null;
    }
    return assets;
  };

  return {
    handle: (req, res, path) => {
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') {
        return send(res, 405, 'text/plain; charset=utf-8', Buffer.from(`${method} is not supported on ${path}\n`), { allow: 'GET, HEAD' }, method);
      }
      const files = load();
      if (!files) {
        return send(res, 503, 'text/plain; charset=utf-8', Buffer.from('The console is not built: run `npm run build` (or `npm ci`) in the Tollgate folder.\n'), {}, method);
      }
      const name = path === CONSOLE_PATH || path === `${CONSOLE_PATH}/` ? 'index.html' : path.slice(CONSOLE_PATH.length + 1);
      const asset = files.get(name);
      if (!asset) return send(res, 404, 'text/plain; charset=utf-8', Buffer.from(`No console file ${path}\n`), {}, method);
      send(res, 200, asset.type, asset.body, { 'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache' }, method);
    },
  };
}

function send(res: ServerResponse, status: number, type: string, body: Buffer, headers: Record<string, string>, method: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': body.length, ...SECURITY_HEADERS, ...headers });
  res.end(method === 'HEAD' ? undefined : body);
}
