import { randomFillSync } from 'node:crypto';

// Random bytes are drawn in bulk, as node:crypto's randomUUID does: one randomFillSync per id
// was a visible share of a request's CPU.
const POOL_IDS = 256;
const pool = Buffer.alloc(10 * POOL_IDS);
let poolOffset = pool.length;
const bytes = Buffer.alloc(16);

let lastMs = -1;

/**
 * A UUIDv7 (RFC 9562): the first 48 bits are the Unix time in ms, the rest random. Ids that
 * grow with time land at the end of the ledger's id indexes, so a commit touches a few pages
 * instead of one random page per row (random v4 ids cost about twice the CPU per committed
 * request, and more as the ledger grows). Within one millisecond (or if the clock steps back)
 * the next id is the previous one plus one, so one process's ids sort in the order they were
 * made and the ledger's newest-first order holds for requests of the same millisecond.
 */
export function newRequestId(now = Date.now()): string {
  if (now > lastMs) {
    if (poolOffset === pool.length) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    pool.copy(bytes, 6, poolOffset, poolOffset + 10);
    poolOffset += 10;
    bytes.writeUIntBE(now, 0, 6);
    bytes[6] = 0x70 | (bytes[6]! & 0x0f);
    bytes[8] = 0x80 | (bytes[8]! & 0x3f);
    lastMs = now;
  } else {
    incrementRandomTail();
  }
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Adds one to the 56 random bits after the variant; they start random, so they do not run out in a millisecond. */
function incrementRandomTail(): void {
  for (let index = 15; index >= 9; index--) {
    bytes[index] = (bytes[index]! + 1) & 0xff;
    if (bytes[index] !== 0) return;
  }
}
