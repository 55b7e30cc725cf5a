import type { Authenticator } from '../policy/auth/authenticate.js';
import { principalContext } from '../policy/auth/principal-context.js';
import type { Middleware } from './chain.js';

/** Endpoints that act for a caller learn who it is here; without a valid credential (when one is required) the request goes no further. */
export function authenticateCaller(auth: Authenticator): Middleware {
  return async (exchange, next) => {
    if (exchange.endpoint.access === 'caller') {
      const principal = await auth.authenticate(exchange.req.headers, exchange.url);
      exchange.principal = principal;
      Object.assign(exchange.context, principalContext(principal));
    }
    await next();
  };
}
