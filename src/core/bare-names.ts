import type { Config, ProviderKind } from '../config/schema.js';
import { globToRegExp } from '../policy/glob.js';
import { GatewayError } from './errors.js';

/**
 * Model names each provider kind's own API uses, so a bare name from a stock client (Claude
 * Code's `claude-sonnet-4-5-20250929`, an OpenAI SDK's `gpt-4o-mini`) finds its provider.
 */
const familiesOfKind: Partial<Record<ProviderKind, string[]>> = {
  anthropic: ['claude-*'],
  openai: ['gpt-*', 'chatgpt-*', 'o1*', 'o3*', 'o4*', 'text-embedding-*', 'dall-e-*', 'whisper-*', 'tts-*', 'omni-moderation-*', 'codex-*'],
  google: ['gemini-*', 'gemma-*', 'imagen-*', 'text-embedding-004', 'gemini-embedding-*'],
  mistral: ['mistral-*', 'codestral-*', 'ministral-*', 'pixtral-*', 'magistral-*', 'devstral-*', 'open-mistral-*'],
  cohere: ['command-*', 'embed-*', 'rerank-*', 'c4ai-*'],
};

/**
 * Resolves a model named without its provider: config's `defaultProviders` first (a glob over
 * the name → a provider id), else the one configured provider that serves it, by the models
 * its config lists or its kind's model families. Several such providers: the name is ambiguous.
 */
export class BareNames {
  private readonly defaults: Array<{ pattern: RegExp; provider: string }>;
  private readonly providers: Array<{ id: string; patterns: RegExp[] }>;

  constructor(config: Config) {
    this.defaults = Object.entries(config.defaultProviders).map(([pattern, provider]) => ({ pattern: globToRegExp(pattern), provider }));
    this.providers = Object.entries(config.providers)
      .filter(([, settings]) => settings.kind !== 'mock')
      .map(([id, settings]) => ({ id, patterns: [...Object.keys(settings.models ?? {}), ...(familiesOfKind[settings.kind] ?? [])].map(globToRegExp) }));
  }

  /** `provider/name`, or a 400 that says how to name the model. */
  resolve(name: string): string {
    const configured = this.defaults.find((entry) => entry.pattern.test(name));
    if (configured) return `${configured.provider}/${name}`;
    const serving = this.providers.filter((provider) => provider.patterns.some((pattern) => pattern.test(name)));
    if (serving.length === 1) return `${serving[0]!.id}/${name}`;
    const how = `write it as provider/model (e.g. openai/gpt-4o-mini or mock/echo), or map it in config defaultProviders (e.g. {"claude-*": "anthropic"})`;
    if (serving.length > 1) {
      throw new GatewayError('invalid_request', `model "${name.slice(0, 120)}" could be served by ${serving.map((provider) => provider.id).join(' or ')}: ${how}`, {
        param: 'model',
      });
    }
    throw new GatewayError('invalid_request', `model "${name.slice(0, 120)}" names no provider and no configured provider serves it: ${how}`, { param: 'model' });
  }
}
