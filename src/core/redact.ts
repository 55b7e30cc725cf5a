import type { Config } from '../config/schema.js';

/**
 * Removes secrets from text that came from elsewhere (an upstream's error message may quote the
 * key it was sent), then cuts it to `maxLength` characters. Redaction comes first: a secret
 * that straddled the cut would no longer match once cut, and its first half would go out.
 * Applied to every upstream message before it reaches a client, a log or the ledger.
 */
export type Redact = (text: string, maxLength?: number) => string;

export const REDACTED = '[redacted]';

/**
 * Credentials recognised by their shape, whoever issued them: an upstream may quote a key that
 * is not in the config (a client's own bearer token, a virtual key), or only part of one.
 * A token is matched from its prefix to its last character, so a cut-off one goes whole. After
 * `Bearer`, a token has a digit or is long: "Bearer authentication is required" is prose.
 */
const TOKEN_SHAPES = /\bBearer\s+(?:(?=[\w\-.~+/]*\d)[\w\-.~+/]{8,}|[\w\-.~+/]{24,})=*|\b(?:sk-|tg_|gsk_|AIza)[\w-]+/g;

/** Characters of a token kept past the cut while redacting, so a cut token still matches its shape. */
const MIN_TOKEN_WINDOW = 64;

/** Runs of key characters long enough that, found inside a configured secret, they are part of it. */
const KEY_RUNS = /[\w-]{8,}/g;

export function createRedactor(config: Config, env: Record<string, string | undefined> = process.env): Redact {
  const secrets = new Set<string>();
  for (const webhook of config.webhooks) secrets.add(webhook.secret);
  const adminKey = env[config.auth.adminKeyEnv];
  if (adminKey && adminKey.length >= 6) secrets.add(adminKey);
  for (const provider of Object.values(config.providers)) {
    for (const key of [provider.apiKey, ...(provider.apiKeys ?? [])]) if (key && key.length >= 6) secrets.add(key);
    for (const value of Object.values(provider.headers ?? {})) if (value.length >= 6) secrets.add(value);
  }
  for (const group of Object.values(config.modelGroups)) {
    for (const deployment of group.deployments) if (deployment.apiKey && deployment.apiKey.length >= 6) secrets.add(deployment.apiKey);
  }
  return redactorOf([...secrets]);
}

/** The redactor for a list of secrets (each at least 6 characters). */
export function redactorOf(secretList: readonly string[]): Redact {
  // Longest first, so a secret that contains another is removed whole.
  const secrets = [...new Set(secretList)].sort((a, b) => b.length - a.length);
  const longest = secrets[0]?.length ?? 0;
  return (text, maxLength) => {
    // Only the part that can survive the cut is worked on: a secret starting before the cut ends
    // within `longest` characters after it, and a token starting before it keeps enough of
    // itself to be recognised.
    const window = maxLength === undefined ? Infinity : maxLength + Math.max(longest, MIN_TOKEN_WINDOW) + 1;
    let out = text.length > window ? text.slice(0, window) : text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    out = out.replace(TOKEN_SHAPES, REDACTED);
    if (secrets.length) {
      // A fragment of a secret (an upstream that cut or masked part of it) goes too.
      out = out.replace(KEY_RUNS, (run) => (secrets.some((secret) => secret.includes(run)) ? REDACTED : run));
    }
    return maxLength === undefined ? out : cut(out, maxLength);
  };
}

/** Cuts after `maxLength` characters, never inside a redaction mark or a surrogate pair. */
function cut(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let end = maxLength;
  const mark = text.lastIndexOf(REDACTED, end - 1);
  if (mark !== -1 && mark + REDACTED.length > end) end = mark;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
