import { describe, expect, it } from 'vitest';
import { newRequestId } from '../../src/core/request-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newRequestId', () => {
  it('is a UUIDv7 carrying the time it was made', () => {
    const id = newRequestId(Date.UTC(2026, 10, 27, 12, 0, 0));
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 10, 27, 12, 0, 0));
  });

  it('sorts later ids after earlier ones, so the ledger appends to its indexes', () => {
    const ids = Array.from({ length: 50 }, (_, i) => newRequestId(1_800_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
  });

  it('does not repeat within one millisecond', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newRequestId(1_800_000_000_000)));
    expect(ids.size).toBe(1000);
  });

  it('sorts ids of one millisecond in the order they were made, and after a clock step back', () => {
    const sameMs = Array.from({ length: 300 }, () => newRequestId(1_900_000_000_000));
    expect([...sameMs].sort()).toEqual(sameMs);
    const afterStepBack = newRequestId(1_899_999_999_000);
    expect(afterStepBack > sameMs.at(-1)!).toBe(true);
    expect(afterStepBack).toMatch(UUID_V7);
  });
});
