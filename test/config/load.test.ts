import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';

function problemsOf(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(raw, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('config problems', () => {
  it('lists every schema issue, not the first', () => {
    expect(problemsOf({ server: { port: 70000 }, providers: { a: { kind: 'nope' }, b: { kind: 'openai', timeoutMs: 0 } }, mock: 'yes' })).toEqual([
      expect.stringMatching(/^server\.port: /),
      expect.stringMatching(/^providers\.a\.kind: /),
      expect.stringMatching(/^providers\.b\.timeoutMs: /),
      expect.stringMatching(/^mock: /),
    ]);
  });

  it('lists every unset env: secret, a compatible provider without baseURL and a bad rule together', () => {
    const problems = problemsOf({
      providers: {
        one: { kind: 'openai', apiKey: 'env:ONE_KEY' },
        two: { kind: 'openai-compatible', apiKey: 'env:TWO_KEY', headers: { 'x-org': 'env:ORG' } },
      },
      rules: [
        { id: 'r', match: 'a/*', rewrite: 'b/x' },
        { id: 'r', match: 'c/*', deny: true },
      ],
    });
    expect(problems).toEqual([
      'rules: duplicate rule id "r"',
      'providers.one.apiKey: environment variable ONE_KEY is not set',
      'providers.two.baseURL: an openai-compatible provider needs a baseURL',
      'providers.two.apiKey: environment variable TWO_KEY is not set',
      'providers.two.headers.x-org: environment variable ORG is not set',
    ]);
  });

  it('lists the problems found after the schema beside the schema issues, leaving out what refers to a broken part', () => {
    const problems = problemsOf({
      server: { port: 'abc' },
      providers: {
        broken: { kind: 'nope' },
        nobase: { kind: 'openai-compatible' },
        keyed: { kind: 'openai', apiKey: 'env:UNSET_KEY' },
      },
      defaultProviders: { 'x-*': 'broken', 'y-*': 'ghost' },
      routing: { retries: -1 },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^server\.port: /),
      expect.stringMatching(/^providers\.broken\.kind: /),
      expect.stringMatching(/^routing\.retries: /),
      'providers.nobase.baseURL: an openai-compatible provider needs a baseURL',
      'providers.keyed.apiKey: environment variable UNSET_KEY is not set',
      'defaultProviders.y-*: no provider "ghost" is configured',
    ]);
    expect(problemsOf({ providers: 5, defaultProviders: { 'x-*': 'ghost' }, store: { database: 'mysql://x' } })).toEqual([
      expect.stringMatching(/^providers: /),
      'store.database: must be a postgres:// or postgresql:// URL',
    ]);
  });

  it('says one problem on one line, several under a count', () => {
    expect(() => parseConfig({ logLevel: 'loud' }, {})).toThrow(/^invalid config at logLevel: /);
    expect(() => parseConfig({ logLevel: 'loud', mock: 1 }, {})).toThrow(/^invalid config \(2 problems\):\n {2}mock: .*\n {2}logLevel: /);
  });

  it('still resolves env: secrets that are set', () => {
    const config = parseConfig({ providers: { one: { kind: 'openai', apiKey: 'env:ONE_KEY' } } }, { ONE_KEY: 'sk-one' });
    expect(config.providers.one!.apiKey).toBe('sk-one');
  });
});
