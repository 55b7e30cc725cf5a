import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Face, RequestContext } from '../core/types.js';
import type { BodyKind } from './request-guard.js';

/** One HTTP endpoint of a face. Faces export lists of these; the server only dispatches. */
export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Exact path, or … */
  path?: string;
  /** … every path under this prefix. */
  prefix?: string;
  /** The face recorded on ledger rows; default `openai`. */
  face?: Face;
  /** The body the route reads, refused with 415 in any other content type; default JSON for POST and PATCH. */
  body?: BodyKind;
  handle(req: IncomingMessage, res: ServerResponse, context: RequestContext): Promise<void>;
  /** Renders any failure of this route (auth included) in its protocol's error shape; default OpenAI's. */
  renderError?(res: ServerResponse, error: unknown, context: RequestContext): void;
}

export interface RouteTable {
  find(method: string, path: string): Route | undefined;
  /** True when the path exists under another method (405 rather than 404). */
  hasPath(path: string): boolean;
  /** Every route, in the order given. */
  readonly routes: readonly Route[];
}

export function routeTable(routes: Route[]): RouteTable {
  const exact = new Map<string, Route>();
  const prefixed = routes.filter((route) => route.prefix);
  for (const route of routes) if (route.path) exact.set(`${route.method} ${route.path}`, route);
  const paths = new Set(routes.flatMap((route) => (route.path ? [route.path] : [])));
  return {
    find: (method, path) =>
      exact.get(`${method} ${path}`) ?? prefixed.find((route) => route.method === method && path.startsWith(route.prefix!)),
    hasPath: (path) => paths.has(path) || prefixed.some((route) => path.startsWith(route.prefix!)),
    routes,
  };
}

/** The context a face hands the core: the reporting header's user wins over the one the body names; the core decides whether either counts. */
export function withBodyUser(context: RequestContext, user: string | null | undefined): RequestContext {
  return { ...context, user: context.user ?? user ?? null };
}
