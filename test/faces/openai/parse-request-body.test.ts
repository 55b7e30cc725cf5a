import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { formatParam, parseRequestBody } from '../../../src/faces/openai/parse-request-body.js';

function rejection(schema: z.ZodType, body: unknown): GatewayError {
  try {
    parseRequestBody(schema, body);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected the body to be rejected');
}

describe('parseRequestBody', () => {
  const schema = z.object({
    a: z.array(z.object({ b: z.union([z.string(), z.array(z.object({ c: z.number() }))], { error: 'b must be text or list' }) })),
  });

  it('returns the parsed body', () => {
    expect(parseRequestBody(schema, { a: [{ b: 'x' }], extra: 1 })).toEqual({ a: [{ b: 'x' }] });
  });

  it('names a missing field the way OpenAI does', () => {
    const error = rejection(schema, { a: [{}] });
    expect(error.message).toBe("Missing required parameter: 'a[0].b'.");
    expect(error.details.param).toBe('a[0].b');
  });

  it("reports the union branch that got furthest, at that branch's path", () => {
    const error = rejection(schema, { a: [{ b: [{ c: 'nope' }] }] });
    expect(error.details.param).toBe('a[0].b[0].c');
    expect(error.message).toBe("Invalid value for 'a[0].b[0].c': expected number, received string");
  });

  it("uses the union's own message when no branch got past the top", () => {
    expect(rejection(schema, { a: [{ b: 1 }] }).message).toBe("Invalid value for 'a[0].b': b must be text or list");
  });

  it('reports a body that is not an object without a param', () => {
    const error = rejection(schema, [1]);
    expect(error.message).toBe('Invalid request body: expected object, received array');
    expect(error.details.param).toBeUndefined();
  });
});

describe('formatParam', () => {
  it('writes indexes in brackets and keys with dots', () => {
    expect(formatParam(['messages', 2, 'content', 0, 'image_url', 'url'])).toBe('messages[2].content[0].image_url.url');
    expect(formatParam([])).toBe('');
  });
});
