/**
 * The admin HTTP API for virtual keys, for the admin key only:
 *
 *   POST   /v1/admin/keys        create (body: NewKey fields, camelCase) → { key, id, ...record }
 *   GET    /v1/admin/keys        list live keys (`?all=true` adds revoked ones)
 *   GET    /v1/admin/keys/{id}   one key, by id or by name
 *   PATCH  /v1/admin/keys/{id}   change fields (null clears a limit)
 *   DELETE /v1/admin/keys/{id}   revoke
 *
 * The key itself is in the create response and nowhere else. Errors are GatewayErrors, rendered
 * by the server in OpenAI's shape like every other `/v1` route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { GatewayError } from '../../core/errors.js';
import type { RequestContext } from '../../core/types.js';
import { readJsonBody } from '../../http/body.js';
import { sendJson } from '../../http/respond.js';
import type { Route } from '../../http/route.js';
import { describeKeyFieldsError, KeyChangesSchema, NewKeySchema } from '../../policy/auth/key-fields.js';
import { withKeyEvents } from '../../policy/key-events.js';
import type { EventSink } from '../../policy/types.js';
import type { KeyStore } from '../../store/types.js';

export interface AdminRoutesOptions {
  keys: KeyStore;
  events: EventSink;
  /** Largest body read; default 64 KiB (a key's fields are small). */
  maxBodyBytes?: number;
}

const KEYS_PATH = '/v1/admin/keys';

export function adminRoutes(options: AdminRoutesOptions): Route[] {
  const keys = withKeyEvents(options.keys, options.events);
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;

  const admin = (handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void): Route['handle'] => {
    return async (req, res, context) => {
      requireAdmin(context);
      await handle(req, res);
    };
  };

  return [
    {
      method: 'POST',
      path: KEYS_PATH,
      handle: admin(async (req, res) => {
        const input = await readFields(req, maxBodyBytes, NewKeySchema);
        const { key, record } = await keys.create(input);
        sendJson(res, 201, { key, ...record });
      }),
    },
    {
      method: 'GET',
      path: KEYS_PATH,
      handle: admin(async (req, res) => {
        const all = new URL(req.url ?? '/', 'http://localhost').searchParams.get('all');
        sendJson(res, 200, { object: 'list', data: await keys.list({ includeRevoked: all === 'true' || all === '1' }) });
      }),
    },
    {
      method: 'GET',
      prefix: `${KEYS_PATH}/`,
      handle: admin(async (req, res) => {
        const id = keyIdFromPath(req);
        const record = await keys.get(id);
        if (!record) throw notFound(id);
        sendJson(res, 200, record);
      }),
    },
    {
      method: 'PATCH',
      prefix: `${KEYS_PATH}/`,
      handle: admin(async (req, res) => {
        const id = keyIdFromPath(req);
        const changes = await readFields(req, maxBodyBytes, KeyChangesSchema);
        const record = await keys.update(id, changes);
        sendJson(res, 200, record);
      }),
    },
    {
      method: 'DELETE',
      prefix: `${KEYS_PATH}/`,
      handle: admin(async (req, res) => {
        const record = await keys.revoke(keyIdFromPath(req));
        sendJson(res, 200, record);
      }),
    },
  ];
}

function requireAdmin(context: RequestContext): void {
  const principal = context.principal;
  if (principal?.admin) return;
  if (!principal || principal.kind === 'anonymous') {
    throw new GatewayError('unauthorized', 'the admin API needs the admin key: set TOLLGATE_ADMIN_KEY (or auth.adminKeyEnv) on the server and send it as "Authorization: Bearer <admin key>"');
  }
  throw new GatewayError('forbidden', 'the admin API is for the admin key only; this credential is not it');
}

async function readFields<T extends z.ZodType>(req: IncomingMessage, maxBodyBytes: number, schema: T): Promise<z.infer<T>> {
  const body = await readJsonBody(req, maxBodyBytes);
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const param = parsed.error.issues[0]?.path.join('.');
    throw new GatewayError('invalid_request', describeKeyFieldsError(parsed.error), param ? { param } : {});
  }
  return parsed.data;
}

function keyIdFromPath(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const rest = (query === -1 ? url : url.slice(0, query)).slice(KEYS_PATH.length + 1);
  let id: string;
  try {
    id = decodeURIComponent(rest);
  } catch {
    throw new GatewayError('invalid_request', 'the key id in the path is not valid percent-encoding');
  }
  if (!id || rest.includes('/')) throw new GatewayError('not_found', `no route ${req.method ?? 'GET'} ${KEYS_PATH}/${rest}; use ${KEYS_PATH}/{id}`);
  return id;
}

function notFound(id: string): GatewayError {
  return new GatewayError('not_found', `no key with id or name "${id}"`);
}
