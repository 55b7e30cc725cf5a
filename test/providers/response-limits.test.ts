import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { EventStreamMeter, readCappedBody } from '../../src/providers/response-limits.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

/** Feeds chunks to a meter; the index of the chunk that passed a cap, or -1. */
function firstRefused(meter: EventStreamMeter, chunks: string[]): { at: number; error?: GatewayError } {
  for (const [at, chunk] of chunks.entries()) {
    const error = meter.add(bytes(chunk));
    if (error) return { at, error };
  }
  return { at: -1 };
}

describe('EventStreamMeter', () => {
  it('counts an event from the last blank line, whatever the line ends (LF, CR, CRLF)', () => {
    for (const end of ['\n\n', '\r\r', '\r\n\r\n']) {
      const meter = new EventStreamMeter({ maxEventBytes: 20, maxStreamBytes: 1_000 });
      // Many events of 15 bytes each: none is over 20.
      expect(firstRefused(meter, Array.from({ length: 20 }, () => `data: 12345678${end}`)).at).toBe(-1);
    }
  });

  it('sees a blank line split across two chunks', () => {
    for (const [first, second] of [
      ['data: 1234567890\n', '\ndata: 1234567890'],
      ['data: 1234567890\r\n', '\r\ndata: 1234567890'],
      ['data: 1234567890\r\n\r', '\ndata: 1234567890'],
      ['data: 1234567890\r', '\rdata: 1234567890'],
    ]) {
      const meter = new EventStreamMeter({ maxEventBytes: 20, maxStreamBytes: 1_000 });
      expect(firstRefused(meter, [first!, second!]).at, JSON.stringify([first, second])).toBe(-1);
    }
  });

  it('does not take one CRLF for a blank line', () => {
    const meter = new EventStreamMeter({ maxEventBytes: 20, maxStreamBytes: 1_000 });
    const { at, error } = firstRefused(meter, ['data: 1234567890\r', '\ndata: 1234567890']);
    expect(at).toBe(1);
    expect(error).toMatchObject({ kind: 'upstream_invalid', message: expect.stringMatching(/one stream event over 20 bytes \(routing\.responseLimits\.maxEventBytes\)/) });
  });

  it('refuses an event that never ends, across any number of chunks', () => {
    const meter = new EventStreamMeter({ maxEventBytes: 1_000, maxStreamBytes: 1_000_000 });
    expect(firstRefused(meter, ['data: {"a":"', ...Array.from({ length: 100 }, () => 'x'.repeat(100))]).at).toBe(10);
  });

  it('refuses a stream over its total, even of small events', () => {
    const meter = new EventStreamMeter({ maxEventBytes: 100, maxStreamBytes: 1_000 });
    const { at, error } = firstRefused(meter, Array.from({ length: 200 }, () => 'data: 0123456789\n\n'));
    expect(at).toBe(Math.floor(1_000 / 18));
    expect(error?.message).toMatch(/maxStreamBytes/);
  });
});

describe('readCappedBody', () => {
  it('reads a body up to the cap', async () => {
    const body = await readCappedBody(Readable.from([bytes('abc'), bytes('def')]), {}, { maxBodyBytes: 6 });
    expect(body.toString()).toBe('abcdef');
  });

  it('refuses a body over the cap, declared or counted, and destroys it', async () => {
    for (const headers of [{ 'content-length': '7' }, {}]) {
      const source = Readable.from([bytes('abc'), bytes('defg'), bytes('never read')]);
      const error = await readCappedBody(source, headers, { maxBodyBytes: 6 }).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toMatchObject({ kind: 'upstream_invalid', message: expect.stringMatching(/maxBodyBytes/) });
      expect(source.destroyed).toBe(true);
    }
  });
});
