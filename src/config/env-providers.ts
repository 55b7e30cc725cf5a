import { ProviderConfig, type ProviderKind } from './schema.js';

interface EnvProvider {
  id: string;
  kind: ProviderKind;
  keyEnv: string;
  baseUrlEnv?: string;
  /** Fixed base URL for OpenAI-compatible hosts. */
  baseURL?: string;
}

/** The env names the official SDKs read, and OpenAI-compatible hosts by their usual key names. */
export const envProviders: readonly EnvProvider[] = [
  { id: 'openai', kind: 'openai', keyEnv: 'OPENAI_API_KEY', baseUrlEnv: 'OPENAI_BASE_URL' },
  { id: 'anthropic', kind: 'anthropic', keyEnv: 'ANTHROPIC_API_KEY', baseUrlEnv: 'ANTHROPIC_BASE_URL' },
  { id: 'google', kind: 'google', keyEnv: 'GOOGLE_GENERATIVE_AI_API_KEY', baseUrlEnv: 'GOOGLE_GENERATIVE_AI_BASE_URL' },
  { id: 'mistral', kind: 'mistral', keyEnv: 'MISTRAL_API_KEY', baseUrlEnv: 'MISTRAL_BASE_URL' },
  { id: 'cohere', kind: 'cohere', keyEnv: 'COHERE_API_KEY', baseUrlEnv: 'COHERE_BASE_URL' },
  { id: 'groq', kind: 'openai-compatible', keyEnv: 'GROQ_API_KEY', baseURL: 'https://api.groq.com/openai/v1' },
  { id: 'deepseek', kind: 'openai-compatible', keyEnv: 'DEEPSEEK_API_KEY', baseURL: 'https://api.deepseek.com/v1' },
  { id: 'xai', kind: 'openai-compatible', keyEnv: 'XAI_API_KEY', baseURL: 'https://api.x.ai/v1' },
  { id: 'together', kind: 'openai-compatible', keyEnv: 'TOGETHER_API_KEY', baseURL: 'https://api.together.xyz/v1' },
];

export function providersFromEnv(env: Record<string, string | undefined>): Record<string, ProviderConfig> {
  const found: Record<string, ProviderConfig> = {};
  for (const entry of envProviders) {
    const apiKey = env[entry.keyEnv];
    if (!apiKey) continue;
    const baseURL = (entry.baseUrlEnv && env[entry.baseUrlEnv]) || entry.baseURL;
    found[entry.id] = ProviderConfig.parse({ kind: entry.kind, apiKey, ...(baseURL ? { baseURL } : {}) });
  }
  return found;
}

/** One line per provider the environment could enable, for the start-up hint on stderr. */
export function describeEnvProviders(): string[] {
  return envProviders.map((entry) => `${entry.keyEnv}${entry.baseUrlEnv ? ` (+ ${entry.baseUrlEnv})` : ''} → ${entry.id}/…`);
}
