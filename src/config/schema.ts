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

/** The tools of the MCP face, in the order they are listed. */
export const MCP_TOOL_NAMES = ['chat', 'embed', 'rerank', 'generate_image', 'speak', 'transcribe', 'list_models', 'get_spend'] as const;
export type McpToolName = (typeof MCP_TOOL_NAMES)[number];

export const ModelType = z.enum(['language', 'embedding', 'reranking', 'image', 'speech', 'transcription']);

/** Token prices of one service tier, in USD per million tokens; a rate left out is the default tier's. */
export const TierPricing = z
  .object({
    input: z.number().nonnegative().optional(),
    output: z.number().nonnegative().optional(),
    cacheRead: z.number().nonnegative().optional(),
    cacheWrite: z.number().nonnegative().optional(),
  })
  .strict();
export type TierPricing = z.infer<typeof TierPricing>;

/**
 * USD per million tokens (per image for `image`, per million characters for `characters`, per
 * minute of audio for `audioMinute`), as providers publish them.
 */
export const PricingOverride = z
  .object({
    input: z.number().nonnegative().optional(),
    output: z.number().nonnegative().optional(),
    cacheRead: z.number().nonnegative().optional(),
    cacheWrite: z.number().nonnegative().optional(),
    image: z.number().nonnegative().optional(),
    /** Speech: USD per million characters of text (OpenAI tts-1: 15). */
    characters: z.number().nonnegative().optional(),
    /** Transcription: USD per minute of audio (OpenAI whisper-1: 0.006). */
    audioMinute: z.number().nonnegative().optional(),
    /** USD per 1,000 web searches the provider runs as its own tool (Anthropic, OpenAI: 10). */
    webSearchesPerThousand: z.number().nonnegative().optional(),
    /**
     * Prices of service tiers other than the default, by the tier's name as the upstream reports
     * it (`flex`, `priority`): a request served at such a tier is billed at its rates.
     */
    serviceTiers: z.record(z.string().regex(/^[a-z_]+$/), TierPricing).optional(),
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
    /** Several keys (after `apiKey`, if set): requests take turns, and a key answered with a 429 rests while the others serve. */
    apiKeys: z.array(Secret).min(1).optional(),
    /** Extra headers sent upstream on every call (values may be `env:NAME`). */
    headers: z.record(z.string(), z.string()).optional(),
    /** Whole-attempt deadline; for streams, the deadline for the first content token. */
    timeoutMs: z.number().int().positive().default(60_000),
    /** Longest silence allowed between two chunks of a stream after its first token. */
    idleTimeoutMs: z.number().int().positive().default(60_000),
    /**
     * Models this provider serves, with optional metadata. They are always listed; the models its
     * model-list endpoint names are listed beside them unless `discoverModels` is false.
     */
    models: z.record(z.string(), ModelSettings).optional(),
    /** Ask the provider's model-list endpoint what it serves; false pins the list to `models` (a host without one). */
    discoverModels: z.boolean().default(true),
    /** The provider keeps no prompts or outputs (for `zeroDataRetention` requests). */
    zeroDataRetention: z.boolean().default(false),
    /** The provider may train on prompts (excluded by `disallowPromptTraining`). */
    trainsOnPrompts: z.boolean().default(false),
  })
  .strict();
export type ProviderConfig = z.infer<typeof ProviderConfig>;

/** How a model group picks the order its deployments are tried in for one request. */
export const strategyNames = ['ordered', 'weighted', 'round-robin', 'least-latency', 'cheapest', 'least-busy'] as const;
export const StrategyName = z.enum(strategyNames);
export type StrategyName = z.infer<typeof StrategyName>;

/** One place a model group's model is served: a configured provider and its own id for the model. */
export const DeploymentConfig = z
  .object({
    /** Names the deployment in breakers, limits and logs; by default `<group>#<index>`. */
    id: z.string().min(1).optional(),
    /** A configured provider. */
    provider: z.string().min(1),
    /** The model id that provider knows. */
    model: z.string().min(1),
    /** Replaces the provider's key for this deployment (may be `env:NAME`). */
    apiKey: Secret.optional(),
    /** Replaces the provider's base URL for this deployment. */
    baseURL: z.url().optional(),
    /** Share of traffic under the `weighted` strategy. */
    weight: z.number().positive().default(1),
    /** The provider's own limits for this deployment: at either, it is skipped rather than sent a request it would refuse. */
    rpm: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
  })
  .strict();
export type DeploymentConfig = z.infer<typeof DeploymentConfig>;

/** A model clients ask for by one name, served by several deployments. */
export const ModelGroupConfig = z
  .object({
    strategy: StrategyName.default('ordered'),
    deployments: z.array(DeploymentConfig).min(1),
  })
  .strict();
export type ModelGroupConfig = z.infer<typeof ModelGroupConfig>;

export const BudgetPeriod = z.enum(['day', 'week', 'month', 'total']);

/** A budget on a user, a tag or the whole gateway (key budgets live on the keys). */
export const BudgetConfig = z
  .object({
    scope: z.enum(['user', 'tag', 'global']),
    /** The user or tag; not used for `global`. */
    id: z.string().min(1).optional(),
    limitUsd: z.number().positive(),
    period: BudgetPeriod.default('month'),
  })
  .strict()
  .refine((budget) => budget.scope === 'global' || budget.id, { message: 'a user or tag budget needs an id' });
export type BudgetConfig = z.infer<typeof BudgetConfig>;

/**
 * Budgets in config: the limits, and whether a caller under any budget may use a model whose
 * price is unknown (such a model's spend cannot be held or counted). A bare array is the limits.
 */
const BudgetsObject = z
  .object({
    limits: z.array(BudgetConfig).default([]),
    unpricedModels: z.enum(['deny', 'allow']).default('deny'),
  })
  .strict();
export const BudgetsConfig = z.union([
  z.array(BudgetConfig).transform((limits) => ({ limits, unpricedModels: 'deny' as const })),
  BudgetsObject,
]);
export type BudgetsConfig = z.infer<typeof BudgetsConfig>;

/** An OIDC/JWT issuer whose tokens are accepted as callers. */
export const IssuerConfig = z
  .object({
    issuer: z.string().min(1),
    jwksUrl: z.url(),
    audience: z.union([z.string(), z.array(z.string())]),
    /** Claim that names the user (default `sub`). */
    userClaim: z.string().default('sub'),
    /** Claim holding tags or a team (a string or an array of strings). */
    tagsClaim: z.string().optional(),
    /** Limits applied to every caller from this issuer, per subject. */
    budgetUsd: z.number().positive().optional(),
    budgetPeriod: BudgetPeriod.default('month'),
    models: z.array(z.string()).optional(),
    providers: z.array(z.string()).optional(),
    rpm: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
  })
  .strict();
export type IssuerConfig = z.infer<typeof IssuerConfig>;

/** A routing rule: requests for models matching `match` are rewritten or denied. */
export const RoutingRule = z
  .object({
    id: z.string().min(1),
    /** Glob over `provider/model`. */
    match: z.string().min(1),
    rewrite: z.string().optional(),
    deny: z.boolean().optional(),
    message: z.string().optional(),
  })
  .strict()
  .refine((rule) => Boolean(rule.rewrite) !== Boolean(rule.deny), { message: 'a rule either rewrites or denies' });
export type RoutingRule = z.infer<typeof RoutingRule>;

export const WebhookConfig = z
  .object({
    url: z.url(),
    /** Standard Webhooks secret, `whsec_<base64>` (may be `env:NAME`). */
    secret: z.string().min(1),
    /** Event types to send; default all. */
    events: z.array(z.string()).optional(),
  })
  .strict();
export type WebhookConfig = z.infer<typeof WebhookConfig>;

const AllowedHost = z
  .string()
  .regex(/^(\.?[a-z0-9_-]+(\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])(:\d{1,5})?$/i, 'a host is `name`, `name:port` or `.domain`, without a scheme or path');

const AllowedOrigin = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.origin !== 'null' && url.pathname === '/' && !url.search && !url.hash && !url.username;
    } catch {
      return false;
    }
  },
  { message: 'an origin is `scheme://host[:port]`, such as https://app.example.com' },
);

export const ConfigSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(4100),
        /** Largest request body accepted, in bytes. */
        maxBodyBytes: z.number().int().positive().default(8 * 1024 * 1024),
        /**
         * Longest a client may take to send a whole request (headers and body); then 408 and the
         * connection closes, so a slow sender cannot hold a connection for ever. Answers,
         * streams included, are not limited by it.
         */
        requestTimeoutMs: z.number().int().positive().default(120_000),
        /**
         * On SIGTERM or SIGINT, how long requests and streams in flight may take to finish
         * before the rest are ended as cancelled (billed for what was received).
         */
        drainMs: z.number().int().nonnegative().default(30_000),
        /**
         * Host names the gateway answers to besides loopback names, IP addresses and the `host` it
         * listens on: `name` (any port), `name:port`, or `.example.com` (it and its subdomains).
         * Any other Host is refused (403), so a DNS-rebinding page cannot reach the gateway.
         */
        allowedHosts: z.array(AllowedHost).default([]),
        /** Origins (`scheme://host[:port]`) whose pages may call the gateway from a browser, besides loopback pages. */
        allowedOrigins: z.array(AllowedOrigin).default([]),
        /**
         * How long generated images and audio are kept for their links (`/v1/images/{id}`,
         * `tollgate://images/{id}`, `tollgate://audio/{id}`); then they are deleted.
         */
        mediaTtlMs: z.number().int().positive().default(24 * 3_600_000),
        /** Streamable HTTP sessions of `/mcp`. */
        mcp: z
          .object({
            /** Open sessions at most; when full, the caller holding the most loses an idle one. */
            maxSessions: z.number().int().positive().default(1_000),
            /** Open sessions per key (or token subject); one more closes that caller's own oldest. */
            maxSessionsPerKey: z.number().int().positive().default(16),
            /**
             * The MCP tools offered, by name (also `--tools a,b` on `serve` and `mcp`); all eight
             * when not set. Each tool's description and schema is read by every agent conversation
             * before it asks anything, so fewer tools cost less context.
             */
            tools: z.array(z.enum(MCP_TOOL_NAMES)).min(1).optional(),
          })
          .strict()
          .prefault({}),
        /** File URLs in prompts (AI SDK gateway face, MCP chat tool image_urls) that Tollgate fetches itself. */
        fileFetch: z
          .object({
            /** Also fetch from private, loopback and link-local addresses (tests and trusted networks only). */
            allowPrivate: z.boolean().default(false),
            maxBytes: z.number().int().positive().default(10 * 1024 * 1024),
            timeoutMs: z.number().int().positive().default(10_000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    providers: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/), ProviderConfig).default({}),
    /** Per-model overrides keyed by `provider/model`. */
    models: z.record(z.string(), ModelSettings).default({}),
    /**
     * Providers of model names sent without one, by glob over the name (`{"claude-*": "anthropic"}`).
     * Without a match, a name that exactly one configured provider serves goes to it.
     */
    defaultProviders: z.record(z.string().min(1), z.string().min(1)).default({}),
    /** Model groups keyed by the id clients send (`anthropic/claude-sonnet-4-6`, or a bare name). */
    modelGroups: z.record(z.string().min(1), ModelGroupConfig).default({}),
    routing: z
      .object({
        /** Extra tries of the same candidate for errors that provably were not billed. */
        retries: z.number().int().min(0).max(10).default(2),
        /** First backoff; doubles on each retry, with jitter, capped by maxBackoffMs. */
        backoffMs: z.number().int().min(0).default(200),
        maxBackoffMs: z.number().int().min(0).default(5_000),
        /** Requests' own provider keys (`providerOptions.gateway.byok`). */
        byok: z
          .object({
            /** Let a request's own base URL point at private, loopback and link-local addresses (tests and trusted networks only). */
            allowPrivateBaseURL: z.boolean().default(false),
          })
          .strict()
          .prefault({}),
        /** How long a pooled API key rests after a 429 that names no `retry-after`. */
        keyRestMs: z.number().int().min(0).default(30_000),
        /** A candidate that fails this many times in a row is skipped for `cooldownMs`. */
        circuitBreaker: z
          .object({
            failureThreshold: z.number().int().min(1).default(5),
            cooldownMs: z.number().int().min(0).default(30_000),
          })
          .strict()
          .prefault({}),
        /**
         * Caps on one upstream answer; past one the attempt fails as `upstream_invalid` and its
         * connection is closed, so a runaway upstream cannot fill the gateway's memory.
         */
        responseLimits: z
          .object({
            /** A whole answer that is not a stream (JSON, audio, base64 images). */
            maxBodyBytes: z.number().int().positive().default(64 * 1024 * 1024),
            /** One server-sent event of a stream (the bytes between two blank lines). */
            maxEventBytes: z.number().int().positive().default(8 * 1024 * 1024),
            /** A whole stream. */
            maxStreamBytes: z.number().int().positive().default(256 * 1024 * 1024),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /** Env var holding the admin key (admin API, every scope in reports). */
        adminKeyEnv: z.string().default('TOLLGATE_ADMIN_KEY'),
        issuers: z.array(IssuerConfig).default([]),
        /**
         * The URL MCP clients reach `/mcp` at (`https://gateway.example.com/mcp`): with issuers, the
         * audience tokens on `/mcp` must name. Default: the URL the client used (its Host header).
         */
        mcpResource: z.url().optional(),
      })
      .strict()
      .prefault({}),
    /**
     * Shared state for several instances. Without `database`, the ledger, keys, media and webhook
     * deliveries stay in SQLite in the data folder; without `redis`, policy state stays in this
     * process's memory.
     */
    store: z
      .object({
        /** `postgres://…` or `postgresql://…` (may be `env:NAME`); TOLLGATE_DATABASE_URL when not set here. */
        database: Secret.optional(),
        /** `redis://…` or `rediss://…` (may be `env:NAME`); TOLLGATE_REDIS_URL when not set here. */
        redis: Secret.optional(),
        /** Put before every Redis key, so several gateways can share one Redis apart. */
        redisKeyPrefix: z.string().default('tollgate:'),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        /**
         * When the shared store is unreachable, requests a budget, a rate limit or an
         * Idempotency-Key covers are refused (503 store_unavailable) or, with `allow`, served
         * with those limits off.
         */
        onStoreOutage: z.enum(['deny', 'allow']).default('deny'),
        /** A budget hold never settled (its process died) is dropped after this long; longer than any request. */
        holdTtlMs: z.number().int().positive().default(600_000),
        /**
         * The `max_uses` given to a provider web search tool that sets none (Anthropic's tool, and
         * OpenAI's `max_tool_calls`): without one the provider's searches have no limit, and each is billed.
         */
        webSearchMaxUses: z.number().int().positive().max(100).default(5),
      })
      .strict()
      .prefault({}),
    budgets: BudgetsConfig.default({ limits: [], unpricedModels: 'deny' }),
    /** Per-model rate limits, keyed by `provider/model`. */
    rateLimits: z.record(z.string(), z.object({ rpm: z.number().int().positive().optional(), tpm: z.number().int().positive().optional() }).strict()).default({}),
    rules: z.array(RoutingRule).default([]),
    /**
     * The exact-match response cache: answers kept per caller and normalized request. Off unless a
     * request asks (`providerOptions.gateway.cache`, `x-tollgate-cache: ttl=N`) or a rule applies.
     * Kept in Redis when `store.redis` is set, otherwise in `response-cache.db` in the data folder.
     */
    cache: z
      .object({
        /** Key names (any key when absent) and model globs (any model when absent) whose answers are kept for `ttlSeconds`; the first match wins. */
        rules: z
          .array(
            z
              .object({
                keys: z.array(z.string().min(1)).optional(),
                models: z.array(z.string().min(1)).optional(),
                ttlSeconds: z.number().int().positive(),
              })
              .strict(),
          )
          .default([]),
        /** No answer is kept longer than this, whatever a request asks. */
        maxTtlSeconds: z.number().int().positive().default(86_400),
        /** An answer larger than this (its JSON) is not kept. */
        maxEntryBytes: z.number().int().positive().default(1_048_576),
        /** Answers kept at most in SQLite (Redis: its own memory policy); those closest to expiry go first. */
        maxEntries: z.number().int().positive().default(10_000),
      })
      .strict()
      .prefault({}),
    /**
     * Responses kept by `POST /v1/responses` (unless the request says `store: false`), for
     * `previous_response_id` and `GET`/`DELETE /v1/responses/{id}`: each belongs to the key that
     * made it, and is deleted `retentionDays` after it was made.
     */
    responses: z
      .object({
        retentionDays: z.number().positive().default(30),
      })
      .strict()
      .prefault({}),
    /** The catalog (`/v1/models`, `list_models`): what each provider's model-list endpoint says it serves. */
    catalog: z
      .object({
        /** A provider's list is asked again after this long; the last good list serves meanwhile. */
        ttlMs: z.number().int().positive().default(3_600_000),
        /** After a failed ask, the next waits this long (the last good list, if any, still serves). */
        retryMs: z.number().int().positive().default(60_000),
        /** Longest wait for one model list. */
        timeoutMs: z.number().int().positive().default(10_000),
      })
      .strict()
      .prefault({}),
    webhooks: z.array(WebhookConfig).default([]),
    /** Serve the built-in deterministic `mock` provider. */
    mock: z.boolean().default(true),
    /**
     * Bill the mock's models at small nominal prices ($1/M input tokens for `mock/echo`, …), so
     * budgets and spend reports can be tried offline. Off, the mock is free: it costs nothing
     * and never uses up a budget.
     */
    mockPricing: z.boolean().default(false),
    /**
     * The model the MCP `chat` tool uses when the caller names none (`provider/model`). When not
     * set, `mock/echo` serves only if the mock is the sole provider; otherwise the caller must
     * name a model.
     */
    defaultModel: z.string().regex(/^[^/\s]+\/\S+$/, 'a model id is `provider/model`').optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Access log, `/metrics` and traces. */
    telemetry: z
      .object({
        /** One info line per request. */
        accessLog: z.boolean().default(true),
        /** Serve `GET /metrics` (Prometheus). */
        metrics: z.boolean().default(true),
        /** Env var holding a token that may read `/metrics` when auth is on (besides the admin key). */
        metricsTokenEnv: z.string().default('TOLLGATE_METRICS_TOKEN'),
        /** Label request metrics by key name and by user too: one series per key or user, so off by default. */
        metricsPerKey: z.boolean().default(false),
        metricsPerUser: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
