import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigSchema, ProviderConfig, type Config } from './schema.js';
import { providersFromEnv } from './env-providers.js';
import { validateRules } from '../policy/rules.js';
import { validateWebhookSecret } from '../policy/webhooks/index.js';

/**
 * A config that cannot be used; the CLI prints the message and exits with code 2. `problems`
 * lists every one found, each naming its field, so that one run shows everything to fix.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];

  /** A message as it is, or problems as `field: what is wrong`. */
  constructor(problems: string | string[]) {
    super(typeof problems === 'string' ? problems : problems.length === 1 ? `invalid config at ${problems[0]}` : `invalid config (${problems.length} problems):\n  ${problems.join('\n  ')}`);
    this.problems = typeof problems === 'string' ? [problems] : problems;
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads the JSON config file (if any), adds providers found in the environment under the env
 * names the official SDKs read, resolves `env:NAME` secrets and validates the result.
 */
export function loadConfig(options: { file?: string; env?: Env } = {}): Config {
  const env = options.env ?? process.env;
  let raw: unknown = {};
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read config file ${options.file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`config file ${options.file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  return parseConfig(raw, env);
}

export function parseConfig(raw: unknown, env: Env = process.env): Config {
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError([...describeIssues(parsed.error), ...problemsBeside(raw, parsed.error, env)]);
  return checkParsed(parsed.data, env);
}

/**
 * The problems the checks after the schema find in the parts of a config the schema took, so
 * that one run lists every problem: the sections with schema errors (and providers, one by one)
 * are left out, and so is what refers to a provider left out.
 */
function problemsBeside(raw: unknown, error: z.ZodError, env: Env): string[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const rest: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  const left: string[] = [];
  const providersLeft: string[] = [];
  for (const [section, id] of error.issues.map((issue) => issue.path.map(String))) {
    if (section === undefined) return [];
    const providers = rest.providers;
    if (section === 'providers' && id !== undefined && providers && typeof providers === 'object' && !Array.isArray(providers)) {
      const { [id]: _dropped, ...others } = providers as Record<string, unknown>;
      rest.providers = others;
      left.push(`providers.${id}.`);
      providersLeft.push(id);
    } else {
      delete rest[section];
      left.push(`${section}.`, `${section}:`);
      if (section === 'providers') providersLeft.push('');
    }
  }
  const salvaged = ConfigSchema.safeParse(rest);
  if (!salvaged.success) return [];
  try {
    checkParsed(salvaged.data, env);
    return [];
  } catch (problem) {
    if (!(problem instanceof ConfigError)) throw problem;
    return problem.problems.filter(
      (text) => !left.some((prefix) => text.startsWith(prefix)) && !providersLeft.some((id) => (id ? text.includes(`no provider "${id}" is configured`) : /no provider ".*" is configured/.test(text))),
    );
  }
}

/** The checks the schema cannot make: secrets, references between sections, URLs. */
function checkParsed(config: Config, env: Env): Config {
  const problems: string[] = [];
  const rulesProblem = validateRules(config.rules);
  if (rulesProblem) problems.push(rulesProblem);
  for (const [id, provider] of Object.entries(providersFromEnv(env))) {
    if (!config.providers[id]) config.providers[id] = provider;
  }
  if (config.mock && !config.providers.mock) {
    config.providers.mock = ProviderConfig.parse({ kind: 'mock' });
  }
  for (const [id, provider] of Object.entries(config.providers)) {
    if (provider.kind === 'openai-compatible' && !provider.baseURL) problems.push(`providers.${id}.baseURL: an openai-compatible provider needs a baseURL`);
    resolveSecrets(id, provider, env, problems);
  }
  for (const [pattern, provider] of Object.entries(config.defaultProviders)) {
    if (!config.providers[provider]) problems.push(`defaultProviders.${pattern}: no provider "${provider}" is configured`);
  }
  for (const [name, group] of Object.entries(config.modelGroups)) {
    const ids = new Set<string>();
    group.deployments.forEach((deployment, index) => {
      const field = `modelGroups.${name}.deployments.${index}`;
      if (!config.providers[deployment.provider]) problems.push(`${field}.provider: no provider "${deployment.provider}" is configured`);
      if (deployment.apiKey) deployment.apiKey = resolveSecret(deployment.apiKey, `${field}.apiKey`, env, problems);
      deployment.id ??= `${name}#${index}`;
      if (ids.has(deployment.id)) problems.push(`${field}.id: "${deployment.id}" names two deployments of this group`);
      ids.add(deployment.id);
    });
  }
  // The config file's setting wins; the environment variable serves when it has none.
  const redisField = config.store.redis ? 'store.redis' : 'TOLLGATE_REDIS_URL';
  const redis = config.store.redis ?? env.TOLLGATE_REDIS_URL;
  if (redis) {
    config.store.redis = resolveSecret(redis, redisField, env, problems);
    // The URL may carry a password: the message names the field, never the value.
    if (!config.store.redis.startsWith('env:') && !/^rediss?:\/\/[^/]/.test(config.store.redis)) problems.push(`${redisField}: must be a redis:// or rediss:// URL`);
  }
  const databaseField = config.store.database ? 'store.database' : 'TOLLGATE_DATABASE_URL';
  const database = config.store.database ?? env.TOLLGATE_DATABASE_URL;
  if (database) {
    config.store.database = resolveSecret(database, databaseField, env, problems);
    if (!config.store.database.startsWith('env:') && !/^postgres(ql)?:\/\/[^/]/.test(config.store.database)) problems.push(`${databaseField}: must be a postgres:// or postgresql:// URL`);
  }
  config.webhooks.forEach((webhook, index) => {
    webhook.secret = resolveSecret(webhook.secret, `webhooks.${index}.secret`, env, problems);
    if (webhook.secret.startsWith('env:')) return;
    const checked = validateWebhookSecret(webhook.secret);
    if (!checked.ok) problems.push(`webhooks.${index}.secret: ${checked.reason}`);
  });
  if (problems.length) throw new ConfigError(problems);
  return config;
}

function resolveSecrets(id: string, provider: ProviderConfig, env: Env, problems: string[]): void {
  if (provider.apiKey) provider.apiKey = resolveSecret(provider.apiKey, `providers.${id}.apiKey`, env, problems);
  if (provider.apiKeys) provider.apiKeys = provider.apiKeys.map((key, index) => resolveSecret(key, `providers.${id}.apiKeys.${index}`, env, problems));
  // The provider's own calls (model lists, a lone candidate) use its first key.
  if (!provider.apiKey && provider.apiKeys) provider.apiKey = provider.apiKeys[0];
  for (const [name, value] of Object.entries(provider.headers ?? {})) {
    provider.headers![name] = resolveSecret(value, `providers.${id}.headers.${name}`, env, problems);
  }
}

/** The value, or the `env:NAME` it names; an unset variable is added to `problems` and left as is. */
function resolveSecret(value: string, field: string, env: Env, problems: string[]): string {
  if (!value.startsWith('env:')) return value;
  const name = value.slice(4);
  const resolved = env[name];
  if (resolved) return resolved;
  problems.push(`${field}: environment variable ${name} is not set`);
  return value;
}

function describeIssues(error: z.ZodError): string[] {
  if (!error.issues.length) return ['(root): invalid config'];
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
}
