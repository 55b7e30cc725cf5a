/**
 * The smallest valid WAV files: 8 kHz, 8-bit unsigned, mono PCM. A comment can ride along in a
 * `LIST`/`INFO`/`ICMT` chunk, which players ignore and the mock transcriber reads back.
 */
const SAMPLE_RATE = 8_000;

export interface ToneOptions {
  seconds: number;
  /** Hz. */
  frequency: number;
  comment?: string;
}

export function toneWav({ seconds, frequency, comment }: ToneOptions): Uint8Array {
  const samples = Math.max(1, Math.round(seconds * SAMPLE_RATE));
  const data = Buffer.alloc(samples);
  for (let i = 0; i < samples; i++) {
    // A quiet tone (a third of full scale), rounded to 8 bits: the same bytes on every platform.
    data[i] = 128 + Math.round(40 * Math.sin((2 * Math.PI * frequency * i) / SAMPLE_RATE));
  }
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(1, 0); // PCM
  fmt.writeUInt16LE(1, 2); // mono
  fmt.writeUInt32LE(SAMPLE_RATE, 4);
  fmt.writeUInt32LE(SAMPLE_RATE, 8); // bytes per second
  fmt.writeUInt16LE(1, 12); // block align
  fmt.writeUInt16LE(8, 14); // bits per sample
  const chunks = [chunk('fmt ', fmt)];
  if (comment !== undefined) {
    chunks.push(chunk('LIST', Buffer.concat([Buffer.from('INFO', 'ascii'), chunk('ICMT', Buffer.from(`${comment}\0`, 'utf8'))])));
  }
  chunks.push(chunk('data', data));
  const body = Buffer.concat([Buffer.from('WAVE', 'ascii'), ...chunks]);
  const header = Buffer.alloc(8);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(body.length, 4);
  return new Uint8Array(Buffer.concat([header, body]));
}

export interface WavFacts {
  durationSeconds: number;
  comment?: string;
}

/** Duration and comment of a PCM WAV file; null when the bytes are not one. */
export function readWav(bytes: Uint8Array): WavFacts | null {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 12 || buffer.toString('ascii', 0, 4) !== 'RIFF' || buffer.toString('ascii', 8, 12) !== 'WAVE') return null;
  let byteRate: number | undefined;
  let dataBytes: number | undefined;
  let comment: string | undefined;
  for (let at = 12; at + 8 <= buffer.length; ) {
    const id = buffer.toString('ascii', at, at + 4);
    const size = buffer.readUInt32LE(at + 4);
    const start = at + 8;
    const end = Math.min(buffer.length, start + size);
    if (id === 'fmt ' && size >= 16 && end - start >= 16) byteRate = buffer.readUInt32LE(start + 8);
    else if (id === 'data') dataBytes = end - start;
    else if (id === 'LIST' && buffer.toString('ascii', start, start + 4) === 'INFO') comment = readInfoComment(buffer.subarray(start + 4, end));
    at = start + size + (size % 2);
  }
  if (!byteRate || dataBytes === undefined) return null;
  return { durationSeconds: dataBytes / byteRate, ...(comment !== undefined ? { comment } : {}) };
}

function readInfoComment(info: Buffer): string | undefined {
  for (let at = 0; at + 8 <= info.length; ) {
    const id = info.toString('ascii', at, at + 4);
    const size = info.readUInt32LE(at + 4);
    if (id === 'ICMT') return info.toString('utf8', at + 8, Math.min(info.length, at + 8 + size)).replace(/\0+$/, '');
    at += 8 + size + (size % 2);
  }
  return undefined;
}

function chunk(id: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'ascii');
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data, Buffer.alloc(data.length % 2)]);
}
