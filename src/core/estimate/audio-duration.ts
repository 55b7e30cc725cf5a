/**
 * How long a piece of audio lasts, for holding what a provider that bills by the minute may
 * charge before it is sent. The duration comes from the data where the format states it: WAV
 * (PCM bytes over the byte rate), MP3 and AAC (every frame counted), FLAC (STREAMINFO's sample
 * count), Ogg (the last page's granule position) and MP4/M4A (the movie header). Anything else,
 * and any stretch of bytes no frame accounts for, is bounded by its size at the lowest bitrate a
 * speech codec plausibly uses.
 */

/** 6 kbit/s, the lowest bitrate Opus encodes speech at. */
export const FLOOR_BYTES_PER_SECOND = 750;

export interface AudioDuration {
  seconds: number;
  /** `header`: read from the format; `size`: the byte count at FLOOR_BYTES_PER_SECOND. */
  source: 'header' | 'size';
}

export function audioDuration(bytes: Uint8Array): AudioDuration {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seconds = wavSeconds(view) ?? flacSeconds(view) ?? oggSeconds(view) ?? mp4Seconds(view) ?? frameSeconds(view);
  if (seconds !== null && Number.isFinite(seconds) && seconds >= 0) return { seconds, source: 'header' };
  return { seconds: view.length / FLOOR_BYTES_PER_SECOND, source: 'size' };
}

// ---- WAV ----

const PCM_FORMATS = new Set([1, 3, 6, 7, 0xfffe]);

/**
 * Uncompressed WAV only: its byte rate follows from the sample rate and block size, so the length
 * is exact. The data is taken to run to the end of the file, whatever its chunk header says.
 */
function wavSeconds(view: Buffer): number | null {
  if (view.length < 12 || view.toString('ascii', 0, 4) !== 'RIFF' || view.toString('ascii', 8, 12) !== 'WAVE') return null;
  let byteRate: number | undefined;
  for (let at = 12; at + 8 <= view.length; ) {
    const id = view.toString('ascii', at, at + 4);
    const size = view.readUInt32LE(at + 4);
    const start = at + 8;
    if (id === 'fmt ' && size >= 16 && start + 16 <= view.length) {
      const format = view.readUInt16LE(start);
      const sampleRate = view.readUInt32LE(start + 4);
      const declaredRate = view.readUInt32LE(start + 8);
      const blockAlign = view.readUInt16LE(start + 12);
      if (!PCM_FORMATS.has(format) || sampleRate === 0 || blockAlign === 0 || declaredRate !== sampleRate * blockAlign) return null;
      byteRate = declaredRate;
    } else if (id === 'data') {
      return byteRate ? (view.length - start) / byteRate : null;
    }
    at = start + size + (size % 2);
  }
  return null;
}

// ---- FLAC ----

function flacSeconds(view: Buffer): number | null {
  if (view.length < 42 || view.toString('ascii', 0, 4) !== 'fLaC') return null;
  // The first metadata block is STREAMINFO; its fields start 8 bytes in.
  if ((view[4]! & 0x7f) !== 0) return null;
  return streamInfoSeconds(view, 8);
}

function streamInfoSeconds(view: Buffer, at: number): number | null {
  if (at + 18 > view.length) return null;
  const sampleRate = (view[at + 10]! << 12) | (view[at + 11]! << 4) | (view[at + 12]! >> 4);
  const totalSamples = (view[at + 13]! & 0x0f) * 2 ** 32 + view.readUInt32BE(at + 14);
  if (sampleRate === 0 || totalSamples === 0) return null;
  return totalSamples / sampleRate;
}

// ---- Ogg (Opus, Vorbis, FLAC) ----

function oggSeconds(view: Buffer): number | null {
  if (view.length < 28 || view.toString('ascii', 0, 4) !== 'OggS') return null;
  const firstPacket = 27 + view[26]!;
  const rate = oggSampleRate(view, firstPacket);
  if (!rate) return null;
  const last = view.lastIndexOf('OggS', view.length - 4, 'ascii');
  if (last < 0 || last + 14 > view.length) return null;
  const granule = view.readBigInt64LE(last + 6);
  if (granule <= 0n) return null;
  return Number(granule) / rate;
}

function oggSampleRate(view: Buffer, at: number): number | null {
  if (view.toString('ascii', at, at + 8) === 'OpusHead') return 48_000; // Opus granules always count 48 kHz samples.
  if (view[at] === 1 && view.toString('ascii', at + 1, at + 7) === 'vorbis' && at + 16 <= view.length) return view.readUInt32LE(at + 12) || null;
  if (view[at] === 0x7f && view.toString('ascii', at + 1, at + 5) === 'FLAC' && at + 35 <= view.length) {
    const sampleRate = (view[at + 27]! << 12) | (view[at + 28]! << 4) | (view[at + 29]! >> 4);
    return sampleRate || null;
  }
  return null;
}

// ---- MP4 / M4A ----

function mp4Seconds(view: Buffer): number | null {
  if (view.length < 8 || view.toString('ascii', 4, 8) !== 'ftyp') return null;
  const moov = findBox(view, 0, view.length, 'moov');
  const mvhd = moov && findBox(view, moov.start, moov.end, 'mvhd');
  if (!mvhd || mvhd.end - mvhd.start < 20) return null;
  const version = view[mvhd.start]!;
  const timescale = version === 1 ? view.readUInt32BE(mvhd.start + 20) : view.readUInt32BE(mvhd.start + 12);
  const duration = version === 1 ? Number(view.readBigUInt64BE(mvhd.start + 24)) : view.readUInt32BE(mvhd.start + 16);
  // Fragmented files leave the movie's duration at 0 (or all ones): not known here.
  if (!timescale || !duration || duration === 0xffffffff) return null;
  return duration / timescale;
}

function findBox(view: Buffer, from: number, to: number, type: string): { start: number; end: number } | null {
  for (let at = from; at + 8 <= to; ) {
    let size = view.readUInt32BE(at);
    let header = 8;
    if (size === 1 && at + 16 <= to) {
      size = Number(view.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < header) return null;
    if (view.toString('ascii', at + 4, at + 8) === type) return { start: at + header, end: Math.min(to, at + size) };
    at += size;
  }
  return null;
}

// ---- MP3 and AAC (ADTS): frame by frame ----

const MP3_BITRATES: Record<string, number[]> = {
  // kbit/s by bitrate index, for [MPEG-1 | MPEG-2/2.5] × layer.
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MP3_SAMPLE_RATES = [44_100, 48_000, 32_000];
const ADTS_SAMPLE_RATES = [96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000, 7_350];

/**
 * Counts the frames of an MP3 or ADTS stream, as a decoder would play them. Bytes no frame
 * accounts for (tags, garbage, free-format frames) add their size at the floor bitrate. Null when
 * no frame is found at all.
 */
function frameSeconds(view: Buffer): number | null {
  let at = 0;
  if (view.length >= 10 && view.toString('ascii', 0, 3) === 'ID3') {
    const size = ((view[6]! & 0x7f) << 21) | ((view[7]! & 0x7f) << 14) | ((view[8]! & 0x7f) << 7) | (view[9]! & 0x7f);
    at = 10 + size + (view[5]! & 0x10 ? 10 : 0);
  }
  let seconds = 0;
  let frames = 0;
  let unaccounted = 0;
  while (at + 7 <= view.length) {
    const frame = mp3Frame(view, at) ?? adtsFrame(view, at);
    if (!frame || at + frame.bytes > view.length) {
      unaccounted += 1;
      at += 1;
      continue;
    }
    seconds += frame.seconds;
    frames += 1;
    at += frame.bytes;
  }
  if (frames === 0) return null;
  return seconds + (unaccounted + Math.max(0, view.length - at)) / FLOOR_BYTES_PER_SECOND;
}

function mp3Frame(view: Buffer, at: number): { bytes: number; seconds: number } | null {
  const b1 = view[at + 1]!;
  if (view[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
  const version = (b1 >> 3) & 0x03; // 0: MPEG-2.5, 2: MPEG-2, 3: MPEG-1
  const layer = 4 - ((b1 >> 1) & 0x03); // 1, 2 or 3; 4 means reserved
  if (version === 1 || layer === 4) return null;
  const b2 = view[at + 2]!;
  const kbps = MP3_BITRATES[`${version === 3 ? 1 : 2}-${layer}`]![b2 >> 4];
  const rateIndex = (b2 >> 2) & 0x03;
  if (!kbps || rateIndex === 3) return null;
  const sampleRate = MP3_SAMPLE_RATES[rateIndex]! / (version === 3 ? 1 : version === 2 ? 2 : 4);
  const padding = (b2 >> 1) & 0x01;
  const samples = layer === 1 ? 384 : layer === 3 && version !== 3 ? 576 : 1152;
  const bytes = layer === 1 ? (Math.floor((12 * kbps * 1000) / sampleRate) + padding) * 4 : Math.floor(((samples / 8) * kbps * 1000) / sampleRate) + padding;
  return bytes >= 4 ? { bytes, seconds: samples / sampleRate } : null;
}

function adtsFrame(view: Buffer, at: number): { bytes: number; seconds: number } | null {
  if (view[at] !== 0xff || (view[at + 1]! & 0xf6) !== 0xf0) return null;
  const sampleRate = ADTS_SAMPLE_RATES[(view[at + 2]! >> 2) & 0x0f];
  const bytes = ((view[at + 3]! & 0x03) << 11) | (view[at + 4]! << 3) | (view[at + 5]! >> 5);
  const blocks = (view[at + 6]! & 0x03) + 1;
  if (!sampleRate || bytes < 7) return null;
  return { bytes, seconds: (1024 * blocks) / sampleRate };
}
