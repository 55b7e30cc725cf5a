/**
 * Contracts of the governance layer: who is calling (Principal), what they may do,
 * and the events policy emits. The core enforces; these modules answer questions.
 */

import type { BudgetPeriod } from '../store/types.js';

/** What a caller may do; from its key, its JWT issuer's settings, or nothing (anonymous). */
export interface Limits {
  budget?: { limitUsd: number; period: BudgetPeriod };
  /** Glob patterns over `provider/model` (`openai/*`, `anthropic/claude-*`), `!` before one denies (`!openai/o1*`); absent = all. */
  models?: string[];
  /** Provider ids; absent = all. */
  providers?: string[];
  rpm?: number;
  tpm?: number;
  /** False: requests may not bring their own provider keys. */
  byok?: boolean;
}

/** The authenticated caller of one request. */
export interface Principal {
  kind: 'key' | 'jwt' | 'admin' | 'anonymous';
  /** Key id for keys, `jwt:<issuer>#<sub>` for tokens; null when anonymous or admin. */
  keyId: string | null;
  /** The key's name (reports group by it), or the token subject. */
  keyName: string | null;
  user: string | null;
  tags: string[];
  admin: boolean;
  limits: Limits;
  /** A key allowed to attribute its requests to users it names (otherwise they go to `user`, or to none). */
  allowUserOverride?: boolean;
}

export const anonymousPrincipal: Principal = {
  kind: 'anonymous',
  keyId: null,
  keyName: null,
  user: null,
  tags: [],
  admin: false,
  limits: {},
};

/** Events other systems may subscribe to (webhooks). */
export type PolicyEvent =
  | { type: 'budget.threshold'; data: { scope: string; scopeId: string; threshold: number; limitUsd: number; spentUsd: number; period: BudgetPeriod; periodStart: string } }
  | { type: 'key.created' | 'key.updated' | 'key.revoked'; data: { id: string; name: string; prefix: string } };

export interface EventSink {
  emit(event: PolicyEvent): void;
}
