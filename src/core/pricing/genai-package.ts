import { createRequire } from 'node:module';
import type * as GenaiPrices from '@pydantic/genai-prices';

const require = createRequire(import.meta.url);
let loaded: typeof GenaiPrices | undefined;

/**
 * @pydantic/genai-prices, loaded by the first lookup that reaches it: its price data costs about
 * 6 MB resident, and a gateway whose models are all priced in config (or mock ones) never needs
 * it. Lookups are synchronous (a request is priced as it settles), so the package's CommonJS
 * build is required rather than imported; it is also the smaller of its two builds.
 */
export function genaiPrices(): typeof GenaiPrices {
  return (loaded ??= require('@pydantic/genai-prices') as typeof GenaiPrices);
}
