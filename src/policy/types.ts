/**
 * Contracts of the governance layer: who is calling (Principal), the virtual keys behind them,
 * and the events policy emits. The core enforces; these modules answer questions.
 */

export type BudgetPeriod = 'day' | 'week' | 'month' | 'total';

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

/** A virtual key as stored: never the key itself, only its hash and a display prefix. */
export interface KeyRecord {
  id: string;
  name: string;
  /** The first characters of the key, for people to recognise it (`tg_a1b2c3`). */
  prefix: string;
  createdAt: string;
  updatedAt: string;
  revokedAt: string | null;
  expiresAt: string | null;
  user: string | null;
  tags: string[];
  budgetUsd: number | null;
  budgetPeriod: BudgetPeriod;
  models: string[] | null;
  providers: string[] | null;
  rpm: number | null;
  tpm: number | null;
  /** Requests may name their user (body, header), which then stands in for `user`. */
  allowUserOverride: boolean;
  /** Requests may bring their own provider keys (`providerOptions.gateway.byok`). */
  allowByok: boolean;
}

export interface NewKey {
  name: string;
  user?: string | null;
  tags?: string[];
  budgetUsd?: number | null;
  budgetPeriod?: BudgetPeriod;
  models?: string[] | null;
  providers?: string[] | null;
  rpm?: number | null;
  tpm?: number | null;
  expiresAt?: string | null;
  allowUserOverride?: boolean;
  allowByok?: boolean;
}

export type KeyChanges = Partial<NewKey>;

export interface KeyStore {
  /** Returns the key once; only its hash is kept. Names are unique among keys not revoked. */
  create(input: NewKey): { key: string; record: KeyRecord };
  list(options?: { includeRevoked?: boolean }): KeyRecord[];
  /** By id, or by name among keys not revoked. */
  get(idOrName: string): KeyRecord | undefined;
  /** The live record for a presented key: undefined when unknown, revoked or expired. */
  findByKey(key: string, now?: Date): KeyRecord | undefined;
  update(idOrName: string, changes: KeyChanges): KeyRecord;
  revoke(idOrName: string): KeyRecord;
  /** Any key was ever created (revoked ones count): then every request must authenticate. */
  hasActiveKeys(): boolean;
}

/** Events other systems may subscribe to (webhooks). */
export type PolicyEvent =
  | { type: 'budget.threshold'; data: { scope: string; scopeId: string; threshold: number; limitUsd: number; spentUsd: number; period: BudgetPeriod; periodStart: string } }
  | { type: 'key.created' | 'key.updated' | 'key.revoked'; data: { id: string; name: string; prefix: string } };

export interface EventSink {
  emit(event: PolicyEvent): void;
}
