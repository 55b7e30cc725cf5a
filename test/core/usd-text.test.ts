import { describe, expect, it } from 'vitest';
import { usdText, usdToNanos } from '../../src/core/usd-text.js';

describe('usdText (USD from integer nanos)', () => {
  it('keeps every significant digit and at least two decimals', () => {
    expect(usdText(4_500_000_000)).toBe('4.50');
    expect(usdText(12_345)).toBe('0.000012345');
    expect(usdText(0)).toBe('0.00');
    expect(usdText(1)).toBe('0.000000001');
    expect(usdText(300_000_007)).toBe('0.300000007');
    expect(usdText(-250_000_000)).toBe('-0.25');
  });

  it('pads to a fixed number of decimals for a table column', () => {
    expect(usdText(1_500_000, 9)).toBe('0.001500000');
    expect(usdText(2_000_000_000, 4)).toBe('2.0000');
  });

  it('round-trips a USD amount computed from nanos', () => {
    expect(usdToNanos(0.1 + 0.2)).toBe(300_000_000);
    expect(usdText(usdToNanos(300_000_007 / 1e9))).toBe('0.300000007');
  });
});
