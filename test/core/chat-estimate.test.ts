import type { LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { chatEstimate, outputRaisers } from '../../src/core/estimate/chat-estimate.js';
import { fileTokens } from '../../src/core/estimate/prompt-files.js';
import { toneWav } from '../../src/providers/mock/wav.js';

const user = (text: string): LanguageModelV3CallOptions['prompt'][number] => ({ role: 'user', content: [{ type: 'text', text }] });

describe('chatEstimate: an upper bound of what a chat call can bill', () => {
  it('counts text at a token a UTF-8 byte, not four characters a token', () => {
    const small = chatEstimate({ prompt: [user('hi')] }).inputTokens;
    const euros = chatEstimate({ prompt: [user('€'.repeat(1_000))] }).inputTokens;
    expect(euros - small).toBe(3_000 - 2);
  });

  it('counts tool definitions with their schemas, and response schemas', () => {
    const base = chatEstimate({ prompt: [user('hi')] }).inputTokens;
    const description = 'x'.repeat(50_000);
    const withTool = chatEstimate({
      prompt: [user('hi')],
      tools: [{ type: 'function', name: 'lookup', description, inputSchema: { type: 'object', properties: { q: { type: 'string', description } } } }],
    }).inputTokens;
    expect(withTool - base).toBeGreaterThan(100_000);
    const withSchema = chatEstimate({ prompt: [user('hi')], responseFormat: { type: 'json', schema: { type: 'object', description } } }).inputTokens;
    expect(withSchema - base).toBeGreaterThan(50_000);
  });

  it('adds thinking budgets and takes the largest cap found in provider options', () => {
    expect(chatEstimate({ prompt: [user('hi')], maxOutputTokens: 10, providerOptions: { anthropic: { thinking: { type: 'enabled', budgetTokens: 60_000 } } } })).toMatchObject({
      maxOutputTokens: 10,
      extraOutputTokens: 60_000,
    });
    // Anthropic's provider sends 1,024 when `enabled` names no budget.
    expect(chatEstimate({ prompt: [user('hi')], maxOutputTokens: 10, providerOptions: { anthropic: { thinking: { type: 'enabled' } } } }).extraOutputTokens).toBe(1_024);
    // An OpenAI-compatible provider sends unknown options into the body, where they win.
    expect(chatEstimate({ prompt: [user('hi')], maxOutputTokens: 10, providerOptions: { up: { max_tokens: 50_000 } } }).maxOutputTokens).toBe(50_000);
    expect(outputRaisers({ google: { thinkingConfig: { thinkingBudget: 8_000 } }, router: { reasoning: { max_tokens: 2_000 } } })).toEqual({ cap: undefined, extra: 10_000 });
    expect(outputRaisers({ anthropic: { fallbacks: [{ model: 'other', max_tokens: 64_000 }] } }).cap).toBe(64_000);
    expect(outputRaisers({ openai: { prediction: { type: 'content', content: 'y'.repeat(1_000) } } }).extra).toBeGreaterThan(1_000);
  });

  it('leaves the cap out when none is set, or a client sent one that is not a positive whole number', () => {
    expect(chatEstimate({ prompt: [user('hi')] }).maxOutputTokens).toBeUndefined();
    expect(chatEstimate({ prompt: [user('hi')], maxOutputTokens: '99999' as unknown as number }).maxOutputTokens).toBeUndefined();
  });

  it('holds files at each provider’s worst case: images, PDFs by page, audio by length', () => {
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 >>\n2 0 obj << /Type /Page >>\n3 0 obj << /Type /Page >>\n').toString('base64');
    const { files } = chatEstimate({
      prompt: [
        {
          role: 'user',
          content: [
            { type: 'file', mediaType: 'image/png', data: 'iVBORw0KGgo=' },
            { type: 'file', mediaType: 'application/pdf', data: pdf },
            { type: 'file', mediaType: 'audio/wav', data: Buffer.from(toneWav({ seconds: 10, frequency: 440 })).toString('base64') },
          ],
        },
      ],
    });
    expect(files).toEqual([{ kind: 'image' }, { kind: 'document', pages: 2 }, { kind: 'audio', seconds: 10 }]);
    expect(fileTokens(files![0]!, 'anthropic', 'claude-sonnet-4-5')).toBe(4_800);
    expect(fileTokens(files![0]!, 'openai', 'gpt-4o-mini')).toBe(48_169);
    expect(fileTokens(files![1]!, 'anthropic', 'claude-sonnet-4-5')).toBe(2 * (4_800 + 3_000));
    expect(fileTokens(files![2]!, 'google', 'gemini-2.5-flash')).toBe(320);
  });
});
