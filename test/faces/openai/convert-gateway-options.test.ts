import { describe, expect, it } from 'vitest';
import { convertGatewayOptions } from '../../../src/faces/openai/convert-gateway-options.js';

describe('convertGatewayOptions', () => {
  it('keeps every routing option that is set', () => {
    expect(
      convertGatewayOptions({ models: ['a/b'], order: ['x'], only: ['x', 'y'], user: 'u', tags: ['t'] }),
    ).toEqual({ models: ['a/b'], order: ['x'], only: ['x', 'y'], user: 'u', tags: ['t'] });
  });

  it('drops nulls and empty lists, and returns undefined when nothing is left', () => {
    expect(convertGatewayOptions({ models: [], order: null, user: '' })).toBeUndefined();
    expect(convertGatewayOptions(null)).toBeUndefined();
    expect(convertGatewayOptions({ only: ['openai'], tags: [] })).toEqual({ only: ['openai'] });
  });
});
