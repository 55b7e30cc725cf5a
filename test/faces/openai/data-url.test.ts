import { describe, expect, it } from 'vitest';
import { parseDataUrl } from '../../../src/faces/openai/data-url.js';

describe('parseDataUrl', () => {
  it('splits a base64 data URL into media type and payload', () => {
    expect(parseDataUrl('data:image/png;base64,iVBORw0KGgo=')).toEqual({ mediaType: 'image/png', base64: 'iVBORw0KGgo=' });
  });

  it('lowercases the media type and ignores parameters', () => {
    expect(parseDataUrl('DATA:Image/JPEG;name=a.jpg;base64,/9j/')).toEqual({ mediaType: 'image/jpeg', base64: '/9j/' });
  });

  it('re-encodes percent-encoded payloads as base64', () => {
    expect(parseDataUrl('data:text/plain,hello%20world')).toEqual({
      mediaType: 'text/plain',
      base64: Buffer.from('hello world').toString('base64'),
    });
  });

  it('keeps an empty media type empty', () => {
    expect(parseDataUrl('data:;base64,AAAA')).toEqual({ mediaType: '', base64: 'AAAA' });
  });

  it('returns undefined for other URLs and malformed ones', () => {
    expect(parseDataUrl('https://example.com/a.png')).toBeUndefined();
    expect(parseDataUrl('data:image/png;base64')).toBeUndefined();
    expect(parseDataUrl('data:image/png;base64,not base64!')).toBeUndefined();
    expect(parseDataUrl('data:text/plain,%E0%A4%A')).toBeUndefined();
  });
});
