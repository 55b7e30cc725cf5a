import type { Logger } from '../logger.js';
import { GatewayError } from '../core/errors.js';
import type { Middleware } from './chain.js';

/** The outermost link: any failure is answered in the shape of the endpoint's protocol. */
export const renderFailures: Middleware = async (exchange, next) => {
  try {
    await next();
  } catch (error) {
    const { req, res } = exchange;
    if (error instanceof GatewayError && error.kind === 'client_closed') return void res.destroy();
    // Say so up front too, so a keep-alive client does not send its next request into the close.
    if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
    exchange.endpoint.renderError(exchange, error);
  }
};

/** Failures that are the gateway's (not the client's) are logged with the request id. */
export function logFailures(logger: Logger): Middleware {
  return async (exchange, next) => {
    try {
      await next();
    } catch (error) {
      if (!(error instanceof GatewayError) || error.status >= 500) {
        logger.error(
          { err: error instanceof GatewayError ? { kind: error.kind, message: error.message } : error, path: exchange.path, requestId: exchange.context.requestId },
          'request failed',
        );
      }
      throw error;
    }
  };
}
