/**
 * Deterministic embedding vectors and the small PNG the image endpoint returns.
 */
import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

export const DEFAULT_DIMENSIONS = 8;
export const MAX_DIMENSIONS = 4096;

/**
 * A unit-length vector derived from SHA-256 of the text. Every component is a float32 value,
 * so the float and the base64 (little-endian float32) encodings carry the same numbers.
 */
export function embed(text: string, dimensions: number = DEFAULT_DIMENSIONS): number[] {
  const raw: number[] = [];
  for (let block = 0; raw.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}\u0000${text}`).digest();
    for (let i = 0; i + 1 < digest.length && raw.length < dimensions; i += 2) {
      raw.push((digest.readUInt16LE(i) / 0xffff) * 2 - 1);
    }
  }
  const norm = Math.sqrt(raw.reduce((sum, v) => sum + v * v, 0)) || 1;
  return raw.map((v) => Math.fround(v / norm));
}

export function float32Base64(vector: number[]): string {
  const buffer = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => buffer.writeFloatLE(v, i * 4));
  return buffer.toString('base64');
}

export function isValidDimensions(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_DIMENSIONS;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A valid 2×2 RGBA PNG (one red, green, blue and white pixel), built once. */
function buildPng(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(2, 0); // width
  header.writeUInt32BE(2, 4); // height
  header[8] = 8; // bit depth
  header[9] = 6; // colour type RGBA
  // bytes 10..12: compression, filter, interlace = 0
  const rows = Buffer.from([
    0, 255, 0, 0, 255, 0, 255, 0, 255, // filter 0, red, green
    0, 0, 0, 255, 255, 255, 255, 255, 255, // filter 0, blue, white
  ]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export const PNG_BASE64 = buildPng().toString('base64');
