import { z } from 'zod';

/** Provider kinds, each backed by an AI SDK provider package (or our mock). */
export const providerKinds = [
  'openai',
  'anthropic',
  'google',
  'mistral',
  'cohere',
  'openai-compatible',
  'mock',
] as const;
export const ProviderKind = z.enum(providerKinds);
export type ProviderKind = z.infer<typeof ProviderKind>;

export const ModelType = z.enum(['language', 'embedding', 'reranking', 'image']);

/** USD per million tokens (per image for `image`), as providers publish them. */
export const PricingOverride = z
  .object({
    input: z.number().nonnegative().optional(),
    output: z.number().nonnegative().optional(),
    cacheRead: z.number().nonnegative().optional(),
    cacheWrite: z.number().nonnegative().optional(),
    image: z.number().nonnegative().optional(),
  })
  .strict();
export type PricingOverride = z.infer<typeof PricingOverride>;

export const ModelSettings = z
  .object({
    type: ModelType.optional(),
    contextWindow: z.number().int().positive().optional(),
    maxTokens: z.number().int().positive().optional(),
    pricing: PricingOverride.optional(),
  })
  .strict();
export type ModelSettings = z.infer<typeof ModelSettings>;

/** A secret is written inline or as `env:NAME`, resolved at load time. */
const Secret = z.string().min(1);

export const ProviderConfig = z
  .object({
    kind: ProviderKind,
    baseURL: z.url().optional(),
    apiKey: Secret.optional(),
    /** Extra headers sent upstream on every call (values may be `env:NAME`). */
    headers: z.record(z.string(), z.string()).optional(),
    /** Whole-attempt deadline; for streams, the deadline for the first content token. */
    timeoutMs: z.number().int().positive().default(60_000),
    /** Models this provider serves, with optional metadata; known providers add their own. */
    models: z.record(z.string(), ModelSettings).optional(),
  })
  .strict();
export type ProviderConfig = z.infer<typeof ProviderConfig>;

export const ConfigSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(4100),
        /** Largest request body accepted, in bytes. */
        maxBodyBytes: z.number().int().positive().default(8 * 1024 * 1024),
        /** Origins allowed to call `/mcp` from a browser, besides loopback ones. */
        allowedOrigins: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    providers: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/), ProviderConfig).default({}),
    /** Per-model overrides keyed by `provider/model`. */
    models: z.record(z.string(), ModelSettings).default({}),
    routing: z
      .object({
        /** Extra tries of the same candidate for errors that provably were not billed. */
        retries: z.number().int().min(0).max(10).default(2),
        /** First backoff; doubles on each retry, with jitter, capped by maxBackoffMs. */
        backoffMs: z.number().int().min(0).default(200),
        maxBackoffMs: z.number().int().min(0).default(5_000),
      })
      .strict()
      .prefault({}),
    /** Serve the built-in deterministic `mock` provider. */
    mock: z.boolean().default(true),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
