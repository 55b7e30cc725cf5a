import { describe, expect, it } from 'vitest';
import { shiftedDecimal } from '../../src/core/pricing/decimal.js';

describe('shiftedDecimal', () => {
  it.each([
    [0.15, 6, '0.00000015'],
    [2.5, 6, '0.0000025'],
    [10, 6, '0.00001'],
    [1, 6, '0.000001'],
    [0, 6, '0'],
    [1e-7, 6, '0.0000000000001'],
    [1234.5, 2, '12.345'],
    [1200, 2, '12'],
    [0.04, 0, '0.04'],
    [3e21, 0, '3000000000000000000000'],
  ])('%d shifted by %d is %s', (value, shift, expected) => {
    expect(shiftedDecimal(value, shift)).toBe(expected);
  });
});
