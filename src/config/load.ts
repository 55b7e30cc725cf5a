import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigSchema, ProviderConfig, type Config } from './schema.js';
import { providersFromEnv } from './env-providers.js';
import { validateRules } from '../policy/rules.js';
import { validateWebhookSecret } from '../policy/webhooks/index.js';

/** A config that cannot be used; the CLI prints the message and exits with code 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
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
  if (!parsed.success) throw new ConfigError(describeIssue(parsed.error));
  const config = parsed.data;
  const rulesProblem = validateRules(config.rules);
  if (rulesProblem) throw new ConfigError(`invalid config at ${rulesProblem}`);
  for (const [id, provider] of Object.entries(providersFromEnv(env))) {
    if (!config.providers[id]) config.providers[id] = provider;
  }
  if (config.mock && !config.providers.mock) {
    config.providers.mock = ProviderConfig.parse({ kind: 'mock' });
  }
  for (const [id, provider] of Object.entries(config.providers)) {
    resolveSecrets(id, provider, env);
  }
  // The config file's setting wins; the environment variable serves when it has none.
  const redisField = config.store.redis ? 'store.redis' : 'TOLLGATE_REDIS_URL';
  const redis = config.store.redis ?? env.TOLLGATE_REDIS_URL;
  if (redis) {
    config.store.redis = resolveSecret(redis, redisField, env);
    // The URL may carry a password: the message names the field, never the value.
    if (!/^rediss?:\/\/[^/]/.test(config.store.redis)) throw new ConfigError(`${redisField}: must be a redis:// or rediss:// URL`);
  }
  config.webhooks.forEach((webhook, index) => {
    webhook.secret = resolveSecret(webhook.secret, `webhooks.${index}.secret`, env);
    const checked = validateWebhookSecret(webhook.secret);
    if (!checked.ok) throw new ConfigError(`webhooks.${index}.secret: ${checked.reason}`);
  });
  return config;
}

function resolveSecrets(id: string, provider: ProviderConfig, env: Env): void {
  if (provider.apiKey) provider.apiKey = resolveSecret(provider.apiKey, `providers.${id}.apiKey`, env);
  for (const [name, value] of Object.entries(provider.headers ?? {})) {
    provider.headers![name] = resolveSecret(value, `providers.${id}.headers.${name}`, env);
  }
}

function resolveSecret(value: string, field: string, env: Env): string {
  if (!value.startsWith('env:')) return value;
  const name = value.slice(4);
  const resolved = env[name];
  if (!resolved) throw new ConfigError(`${field}: environment variable ${name} is not set`);
  return resolved;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid config';
  const path = issue.path.map(String).join('.') || '(root)';
  return `invalid config at ${path}: ${issue.message}`;
}
