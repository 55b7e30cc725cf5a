/**
 * undici's `Agent` and `request()`, loaded without the rest of the package. Its index loads
 * everything undici has (fetch, WebSocket, EventSource, caches, mocks, interceptors): about 8 MB
 * resident in a gateway that uses none of it. These module paths are not undici's public API:
 * an upgrade must keep them (package.json pins the exact version), and test/http/undici.test.ts
 * checks that they are still the package's own `Agent` and `request`.
 */
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';

const require = createRequire(import.meta.url);

type DispatchRequest = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

export const Agent = require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
const dispatchRequest = require('undici/lib/api/api-request.js') as DispatchRequest;
const { parseURL } = require('undici/lib/core/util.js') as { parseURL: (url: string | URL) => URL };

/** undici's own options for `request(url, options)`, with the dispatcher required. */
export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> &
  Partial<Pick<Dispatcher.RequestOptions, 'method'>> & { dispatcher: Dispatcher };

/**
 * undici's `request(url, options)` for a URL given whole, sent through `options.dispatcher`:
 * what the package's own wrapper does before it hands over to the same function.
 */
export function request(url: string | URL, options: RequestOptions): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  const parsed = parseURL(url);
  return dispatchRequest.call(dispatcher, {
    ...rest,
    origin: parsed.origin,
    path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname,
    method: rest.method || (rest.body ? 'PUT' : 'GET'),
  });
}
