import type { BreakerStates, CircuitRecord } from '../types.js';

interface Circuit extends CircuitRecord {
  /** Until when a half-open circuit's one trial is taken; null when none is. */
  trialUntil: number | null;
}

/** Circuit breakers of one process. */
export class MemoryBreakerStates implements BreakerStates {
  private readonly circuits = new Map<string, Circuit>();

  async read(id: string): Promise<CircuitRecord | null> {
    const circuit = this.circuits.get(id);
    return circuit ? { failures: circuit.failures, openedAt: circuit.openedAt } : null;
  }

  async claimTrial(id: string, now: number, ttlMs: number): Promise<boolean> {
    const circuit = this.circuit(id);
    if (circuit.trialUntil !== null && circuit.trialUntil > now) return false;
    circuit.trialUntil = now + ttlMs;
    return true;
  }

  async failure(id: string, now: number, threshold: number): Promise<void> {
    const circuit = this.circuit(id);
    circuit.failures += 1;
    if (circuit.trialUntil !== null || circuit.failures >= threshold) circuit.openedAt = now;
    circuit.trialUntil = null;
  }

  async success(id: string): Promise<void> {
    this.circuits.delete(id);
  }

  async endTrial(id: string): Promise<void> {
    const circuit = this.circuits.get(id);
    if (circuit) circuit.trialUntil = null;
  }

  private circuit(id: string): Circuit {
    let circuit = this.circuits.get(id);
    if (!circuit) {
      circuit = { failures: 0, openedAt: null, trialUntil: null };
      this.circuits.set(id, circuit);
    }
    return circuit;
  }
}
