import type { SharedV3ProviderOptions } from '@ai-sdk/provider';
import { z } from 'zod';
import type { GatewayOptions } from '../../core/types.js';
import { GatewayOptionsSchema } from '../openai/chat-api.js';
import { convertGatewayOptions } from '../openai/convert-gateway-options.js';
import { parseRequestBody } from '../openai/parse-request-body.js';
import type { ProviderOptionsWire } from './wire-api.js';

const WrappedGatewayOptions = z.object({ providerOptions: z.object({ gateway: GatewayOptionsSchema }) });

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
  // The same `providerOptions.gateway` as every face; one schema and one conversion serve all.
  // Parsed at its place in the body, so an error names the whole path.
  const parsed = parseRequestBody(WrappedGatewayOptions, { providerOptions: { gateway: raw } });
  return { gateway: convertGatewayOptions(parsed.providerOptions.gateway), providerOptions };
}
