import type { GatewayOptions } from '../../core/types.js';
import type { GatewayOptionsWire } from './chat-api.js';

/** `providerOptions.gateway` from the wire → the core's `GatewayOptions`; undefined when empty. */
export function convertGatewayOptions(options: GatewayOptionsWire | null | undefined): GatewayOptions | undefined {
  if (!options) return undefined;
  const gateway: GatewayOptions = {};
  if (options.models?.length) gateway.models = options.models;
  if (options.order?.length) gateway.order = options.order;
  if (options.only?.length) gateway.only = options.only;
  if (options.user) gateway.user = options.user;
  if (options.tags?.length) gateway.tags = options.tags;
  if (options.zeroDataRetention) gateway.zeroDataRetention = true;
  if (options.disallowPromptTraining) gateway.disallowPromptTraining = true;
  if (options.byok && Object.keys(options.byok).length > 0) {
    gateway.byok = Object.fromEntries(
      Object.entries(options.byok).map(([provider, credentials]) => [provider, credentials.map(({ apiKey, baseURL }) => ({ apiKey, ...(baseURL ? { baseURL } : {}) }))]),
    );
  }
  return Object.keys(gateway).length > 0 ? gateway : undefined;
}
