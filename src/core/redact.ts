import type { Config } from '../config/schema.js';

/**
 * Removes configured secrets from text that came from elsewhere (an upstream's error message
 * may quote the key it was sent). Applied to every upstream message before it reaches a
 * client, a log or the ledger.
 */
export type Redact = (text: string) => string;

export function createRedactor(config: Config, env: Record<string, string | undefined> = process.env): Redact {
  const secrets = new Set<string>();
  for (const webhook of config.webhooks) secrets.add(webhook.secret);
  const adminKey = env[config.auth.adminKeyEnv];
  if (adminKey && adminKey.length >= 6) secrets.add(adminKey);
  for (const provider of Object.values(config.providers)) {
    if (provider.apiKey && provider.apiKey.length >= 6) secrets.add(provider.apiKey);
    for (const value of Object.values(provider.headers ?? {})) if (value.length >= 6) secrets.add(value);
  }
  // Longest first, so a secret that contains another is removed whole.
  const list = [...secrets].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const secret of list) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  };
}
