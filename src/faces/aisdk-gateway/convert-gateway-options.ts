import type { SharedV3ProviderOptions } from '@ai-sdk/provider';
import type { GatewayOptions } from '../../core/types.js';
import { GatewayOptionsSchema, type ProviderOptionsWire } from './wire-api.js';
import { parseRequestBody } from '../openai/parse-request-body.js';

/**
 * Splits V3 `providerOptions` into the gateway's own options (`providerOptions.gateway`, read by
 * the core) and the rest, which the provider adapters read. Empty gateway options are undefined.
 */
export function splitProviderOptions(options: ProviderOptionsWire | null | undefined): {
  gateway: GatewayOptions | undefined;
  providerOptions: SharedV3ProviderOptions | undefined;
} {
  if (!options) return { gateway: undefined, providerOptions: undefined };
  const { gateway: raw, ...rest } = options;
  const providerOptions = Object.keys(rest).length > 0 ? (rest as SharedV3ProviderOptions) : undefined;
  if (raw === undefined) return { gateway: undefined, providerOptions };
  const wire = parseRequestBody(GatewayOptionsSchema, raw);
  const gateway: GatewayOptions = {};
  if (wire.models?.length) gateway.models = wire.models;
  if (wire.order?.length) gateway.order = wire.order;
  if (wire.only?.length) gateway.only = wire.only;
  if (wire.user) gateway.user = wire.user;
  if (wire.tags?.length) gateway.tags = wire.tags;
  if (wire.zeroDataRetention) gateway.zeroDataRetention = true;
  if (wire.disallowPromptTraining) gateway.disallowPromptTraining = true;
  return { gateway: Object.keys(gateway).length > 0 ? gateway : undefined, providerOptions };
}
