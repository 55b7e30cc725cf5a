/**
 * The middleware chain every request passes through, `/mcp` and the server's own endpoints
 * included: each concern (failures, the browser guard, draining, auth, idempotency,
 * durability) is one link that may answer, refuse by throwing, or call the next link; the
 * endpoint the request reached comes last.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestContext } from '../core/types.js';
import type { Principal } from '../policy/types.js';
import type { ObservedResponse } from './observed-response.js';
import type { BodyKind } from './request-guard.js';

/** What a request reached, and what the links must do for it. */
export interface Endpoint {
  /** `caller`: a credential is checked before it runs; `public`: it runs for anyone. */
  access: 'public' | 'caller';
  /** The body it reads (refused in any other content type); undefined: not checked. */
  body: BodyKind | undefined;
  /** A POST's answer is kept for a retry with the same `Idempotency-Key`. */
  idempotent?: boolean;
  /** The end of its answer waits until the ledger rows recorded so far are committed. */
  durable?: boolean;
  /** Answered while the server drains (health checks). */
  whileDraining?: boolean;
  handle(exchange: Exchange): Promise<void>;
  /** Renders any failure of the request, in the endpoint's protocol. */
  renderError(exchange: Exchange, error: unknown): void;
}

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ObservedResponse;
  readonly method: string;
  /** The URL as sent (path and query). */
  readonly url: string;
  readonly path: string;
  readonly context: RequestContext;
  readonly endpoint: Endpoint;
  /** Who is calling, once the auth link has run (undefined for public endpoints). */
  principal?: Principal;
}

export type Next = () => Promise<void>;
export type Middleware = (exchange: Exchange, next: Next) => Promise<void>;

/** The links in the order given, then the endpoint. */
export function compose(links: readonly Middleware[]): (exchange: Exchange) => Promise<void> {
  return (exchange) => {
    const run = (index: number): Promise<void> => {
      const link = links[index];
      return link ? link(exchange, () => run(index + 1)) : exchange.endpoint.handle(exchange);
    };
    return run(0);
  };
}
