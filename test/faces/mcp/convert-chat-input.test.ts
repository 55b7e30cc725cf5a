import { describe, expect, it } from 'vitest';
import { convertChatInput } from '../../../src/faces/mcp/tools/convert-chat-input.js';

describe('convertChatInput', () => {
  it('turns a prompt into one V3 user message', () => {
    expect(convertChatInput({ model: 'mock/echo', prompt: 'Hi' })).toEqual({
      model: 'mock/echo',
      call: { prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] },
    });
  });

  it('puts `system` first and keeps the conversation in order', () => {
    const request = convertChatInput({
      model: 'openai/gpt-4o-mini',
      system: 'Be brief.',
      messages: [
        { role: 'system', content: 'Answer in French.' },
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Bonjour' },
        { role: 'user', content: 'Thanks' },
      ],
    });
    expect(request).toMatchObject({
      call: {
        prompt: [
          { role: 'system', content: 'Be brief.' },
          { role: 'system', content: 'Answer in French.' },
          { role: 'user', content: [{ type: 'text', text: 'Hello' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'Bonjour' }] },
          { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
        ],
      },
    });
  });

  it('maps the settings and the fallback list', () => {
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    expect(
      convertChatInput({
        model: 'a/b',
        prompt: 'x',
        max_tokens: 50,
        temperature: 0.2,
        json_schema: schema,
        fallback_models: ['c/d', 'e/f'],
      }),
    ).toMatchObject({
      call: { maxOutputTokens: 50, temperature: 0.2, responseFormat: { type: 'json', schema } },
      gateway: { models: ['c/d', 'e/f'] },
    });
  });

  it('leaves out the gateway options when there is no fallback', () => {
    expect(convertChatInput({ model: 'a/b', prompt: 'x', fallback_models: [] })).not.toHaveProperty('gateway');
  });

  it('needs exactly one of prompt and messages', () => {
    expect(convertChatInput({ model: 'a/b' })).toEqual({ error: expect.stringContaining('exactly one') });
    expect(
      convertChatInput({ model: 'a/b', prompt: 'x', messages: [{ role: 'user', content: 'y' }] }),
    ).toEqual({ error: expect.stringContaining('exactly one') });
  });

  it('needs a user message in a conversation', () => {
    expect(convertChatInput({ model: 'a/b', messages: [{ role: 'system', content: 'only rules' }] })).toEqual({
      error: expect.stringContaining('"user"'),
    });
  });
});
