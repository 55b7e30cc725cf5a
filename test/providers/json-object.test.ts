import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isJsonObject } from '../../src/providers/passthrough/json-object.js';

/** The reference: what a client's JSON.parse makes of the text. */
function parsesAsObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

const CHUNK = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, delta: { content: ' wor"ld\\ \u00e9\ud83d\ude00\n' }, logprobs: null, finish_reason: null }],
  usage: null,
});

describe('isJsonObject', () => {
  it('agrees with JSON.parse on a real chunk and on every prefix of it', () => {
    expect(isJsonObject(CHUNK)).toBe(true);
    for (let end = 0; end < CHUNK.length; end++) {
      const prefix = CHUNK.slice(0, end);
      expect(isJsonObject(prefix), prefix).toBe(parsesAsObject(prefix));
    }
  });

  it('refuses a truncated chunk that still ends with a closing brace', () => {
    const cut = CHUNK.slice(0, CHUNK.lastIndexOf('}', CHUNK.length - 2) + 1);
    expect(cut.endsWith('}')).toBe(true);
    expect(isJsonObject(cut)).toBe(false);
  });

  it('agrees with JSON.parse on hand-picked edge cases', () => {
    const texts = [
      '{}', ' {} ', '\t{\n}\r\n', '{"a":1}', '{"a":-0.5e+10}', '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":1e}', '{"a":-}',
      '{"a":[]}', '{"a":[1,]}', '{"a":[,1]}', '{"a":{},}', '{"a" 1}', '{a:1}', "{'a':1}", '{"a":tru}', '{"a":nul}',
      '{"a":true,"b":false,"c":null}', '{"a":"\\u00e9"}', '{"a":"\\u00g9"}', '{"a":"\\x"}', '{"a":"\t"}', '{"a":"\\/"}',
      '[]', '[{}]', '"text"', '1', 'null', '{}{}', '{} x', '\ufeff{}', '{"a":1}}', '{"a":[}]', '{"a":{]}', '',
      `${'{"a":'.repeat(300)}1${'}'.repeat(300)}`, `${'{"a":'.repeat(300)}1${'}'.repeat(299)}`,
    ];
    for (const text of texts) expect(isJsonObject(text), text).toBe(parsesAsObject(text));
  });

  it('agrees with JSON.parse on generated JSON, its prefixes and single-character edits', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.nat(), fc.nat(), fc.string({ maxLength: 1 }), fc.boolean(), (object, cutAt, editAt, replacement, spaced) => {
        const text = JSON.stringify(object, null, spaced ? 2 : undefined);
        expect(isJsonObject(text)).toBe(true);
        const prefix = text.slice(0, cutAt % (text.length + 1));
        expect(isJsonObject(prefix)).toBe(parsesAsObject(prefix));
        const at = editAt % text.length;
        const edited = `${text.slice(0, at)}${replacement}${text.slice(at + 1)}`;
        expect(isJsonObject(edited)).toBe(parsesAsObject(edited));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with JSON.parse on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'{}[]",:0123456789.eE+-tfnrulsa\\/ \n\tu') }), (text) => {
        expect(isJsonObject(`{"k":${text}}`)).toBe(parsesAsObject(`{"k":${text}}`));
        expect(isJsonObject(text)).toBe(parsesAsObject(text));
      }),
      { numRuns: 5_000 },
    );
  });
});
