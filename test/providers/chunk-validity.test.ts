import { describe, expect, it } from 'vitest';
import { chunkFacts } from '../../src/providers/passthrough/openai-chat.js';

describe('chunkFacts on a chunk that is not one JSON object', () => {
  it('reports a malformed chunk for JSON that does not parse, or that parses to anything but an object', () => {
    for (const data of ['{"choices":[{"delta":{"content":"a"}}', '[{"choices":[]}]', '"text"', '42', 'null', 'true']) {
      expect(chunkFacts(`data: ${data}`), data).toMatchObject({ done: false, content: false, error: 'the upstream sent a malformed stream chunk' });
    }
  });

  it('still reads a well-formed chunk', () => {
    expect(chunkFacts('data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}')).toMatchObject({ content: true, text: 'hi' });
  });
});
