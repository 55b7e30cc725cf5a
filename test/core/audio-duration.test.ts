import { describe, expect, it } from 'vitest';
import { audioDuration, FLOOR_BYTES_PER_SECOND } from '../../src/core/estimate/audio-duration.js';
import { toneWav } from '../../src/providers/mock/wav.js';

/** Files built byte by byte from each format's specification, so the expected length is known. */
function mp3(frames: number): Buffer {
  // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 417-byte frames of 1,152 samples.
  const frame = Buffer.alloc(417);
  frame.set([0xff, 0xfb, 0x90, 0x00]);
  const id3 = Buffer.concat([Buffer.from('ID3\x04\x00\x00', 'latin1'), Buffer.from([0, 0, 0, 20]), Buffer.alloc(20)]);
  return Buffer.concat([id3, ...Array.from({ length: frames }, () => frame)]);
}

function adts(frames: number): Buffer {
  // AAC in ADTS, 16 kHz (index 8), 100-byte frames of one 1,024-sample block.
  const frame = Buffer.alloc(100);
  frame.set([0xff, 0xf1, (1 << 6) | (8 << 2), (100 >> 11) & 0x03, (100 >> 3) & 0xff, ((100 & 0x07) << 5) | 0x1f, 0xfc]);
  return Buffer.concat(Array.from({ length: frames }, () => frame));
}

function flac(sampleRate: number, totalSamples: number): Buffer {
  const info = Buffer.alloc(34);
  info[10] = (sampleRate >> 12) & 0xff;
  info[11] = (sampleRate >> 4) & 0xff;
  info[12] = ((sampleRate & 0x0f) << 4) | 0x02; // one channel (bits 1-3), 16 bits a sample follow
  info[13] = 0xf0 | Math.floor(totalSamples / 2 ** 32);
  info.writeUInt32BE(totalSamples % 2 ** 32, 14);
  return Buffer.concat([Buffer.from('fLaC'), Buffer.from([0x80, 0, 0, 34]), info, Buffer.alloc(1_000)]);
}

function oggPage(granule: bigint, packet: Buffer): Buffer {
  const header = Buffer.alloc(27);
  header.write('OggS', 0, 'ascii');
  header.writeBigInt64LE(granule, 6);
  header[26] = 1;
  return Buffer.concat([header, Buffer.from([packet.length]), packet]);
}

function opus(seconds: number): Buffer {
  const head = Buffer.concat([Buffer.from('OpusHead'), Buffer.alloc(11)]);
  return Buffer.concat([oggPage(0n, head), oggPage(0n, Buffer.alloc(50)), oggPage(BigInt(seconds * 48_000), Buffer.alloc(50))]);
}

function box(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, 'ascii');
  return Buffer.concat([header, body]);
}

function m4a(timescale: number, duration: number): Buffer {
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(timescale, 12);
  mvhd.writeUInt32BE(duration, 16);
  return Buffer.concat([box('ftyp', Buffer.from('M4A \0\0\0\0')), box('mdat', Buffer.alloc(5_000)), box('moov', box('mvhd', mvhd))]);
}

describe('audioDuration', () => {
  it('reads PCM WAV from its data and byte rate', () => {
    expect(audioDuration(toneWav({ seconds: 2.5, frequency: 440 }))).toEqual({ seconds: 2.5, source: 'header' });
  });

  it('counts every MP3 frame, after the ID3 tag', () => {
    const { seconds, source } = audioDuration(mp3(100));
    expect(source).toBe('header');
    expect(seconds).toBeCloseTo((100 * 1_152) / 44_100, 6);
  });

  it('counts every ADTS frame', () => {
    expect(audioDuration(adts(50)).seconds).toBeCloseTo((50 * 1_024) / 16_000, 6);
  });

  it('reads FLAC STREAMINFO, Ogg Opus granules and the MP4 movie header', () => {
    expect(audioDuration(flac(16_000, 16_000 * 90))).toEqual({ seconds: 90, source: 'header' });
    expect(audioDuration(opus(42))).toEqual({ seconds: 42, source: 'header' });
    expect(audioDuration(m4a(1_000, 61_500))).toEqual({ seconds: 61.5, source: 'header' });
  });

  it('bounds what it cannot read by its size at the floor bitrate', () => {
    const webm = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(7_496, 0x11)]);
    expect(audioDuration(webm)).toEqual({ seconds: 7_500 / FLOOR_BYTES_PER_SECOND, source: 'size' });
    // A compressed WAV states only an average byte rate, which could claim anything: by size.
    const adpcm = toneWav({ seconds: 1, frequency: 440 });
    Buffer.from(adpcm.buffer).writeUInt16LE(2, 20);
    expect(audioDuration(adpcm).source).toBe('size');
  });
});
