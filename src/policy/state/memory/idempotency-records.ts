import type { Claim, IdempotencyRecords, StoredAnswer } from '../types.js';

interface Kept {
  answer: StoredAnswer;
  bytes: number;
  expiresAt: number;
}

/** Idempotency records of one process, within a byte budget: the oldest entries go first. */
export class MemoryIdempotencyRecords implements IdempotencyRecords {
  private readonly kept = new Map<string, Kept>();
  private readonly inFlight = new Map<string, { token: string; until: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  async claim(key: string, token: string, now: number, inFlightUntil: number): Promise<Claim> {
    const kept = this.kept.get(key);
    if (kept && kept.expiresAt > now) return { kind: 'replay', answer: kept.answer };
    if (kept) this.forget(key, kept);
    const running = this.inFlight.get(key);
    if (running && running.until > now) return { kind: 'in-flight' };
    this.inFlight.set(key, { token, until: inFlightUntil });
    return { kind: 'claimed' };
  }

  async finish(key: string, token: string, _now: number, kept: Kept | null): Promise<void> {
    if (this.inFlight.get(key)?.token === token) this.inFlight.delete(key);
    if (!kept || kept.bytes > this.maxBytes) return;
    const previous = this.kept.get(key);
    if (previous) this.forget(key, previous);
    this.kept.set(key, kept);
    this.bytes += kept.bytes;
    for (const [oldKey, old] of this.kept) {
      if (this.bytes <= this.maxBytes) break;
      this.forget(oldKey, old);
    }
  }

  private forget(key: string, kept: Kept): void {
    this.kept.delete(key);
    this.bytes -= kept.bytes;
  }
}
