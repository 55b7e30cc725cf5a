import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';

/**
 * What a server loads is memory it holds for good, so it loads a package when something first
 * needs it: the MCP SDK with the first /mcp request, an AI SDK provider package with the first
 * request that must be translated for that provider, the price data with the first model that
 * config does not price. OpenAI chat to an OpenAI-compatible upstream needs none of them.
 */
type Stage = 'started' | 'openaiChat' | 'translatedChat' | 'mcp';

async function loadedPackages(): Promise<Record<Stage, string[]>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/loaded-packages.ts'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`loaded-packages exited with ${code}: ${err}`);
  return JSON.parse(out) as Record<Stage, string[]>;
}

const packageOf = (file: string): string => file.split('/').slice(0, file.startsWith('@') ? 2 : 1).join('/');
const has = (files: string[], name: string): boolean => files.some((file) => packageOf(file) === name);

describe('packages are loaded when first needed', () => {
  it('serves OpenAI chat through the passthrough and the mock without the AI SDK providers, MCP or price data', { timeout: 30_000 }, async () => {
    const loaded = await loadedPackages();
    const heavy = ['@modelcontextprotocol/sdk', '@pydantic/genai-prices', '@ai-sdk/openai', '@ai-sdk/openai-compatible', '@ai-sdk/anthropic', '@ai-sdk/google', '@ai-sdk/mistral', '@ai-sdk/cohere', 'redis', '@redis/client', '@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http'];
    for (const stage of ['started', 'openaiChat'] as const) {
      for (const name of heavy) expect(has(loaded[stage], name), `${name} loaded by ${stage}`).toBe(false);
      // undici's index loads fetch, WebSocket and the rest; only Agent and request are used.
      expect(loaded[stage]).not.toContain('undici/index.js');
    }

    // An Anthropic-face request to the same provider is translated: its package loads, no other.
    expect(has(loaded.translatedChat, '@ai-sdk/openai-compatible')).toBe(true);
    for (const name of heavy.filter((name) => name !== '@ai-sdk/openai-compatible')) expect(has(loaded.translatedChat, name), name).toBe(false);

    expect(has(loaded.mcp, '@modelcontextprotocol/sdk')).toBe(true);
    expect(has(loaded.mcp, '@pydantic/genai-prices')).toBe(false);
  });
});
