/**
 * What the gateway keeps, behind small interfaces that return promises. Callers hold these
 * interfaces only; `createStore` picks the backend (SQLite in the data folder, or PostgreSQL).
 */
import type { ErrorKind, Face, ReportQuery, ReportRow, ReportScope, StoredImage, TokenUsage } from '../core/types.js';

/** One upstream attempt: a call to one provider for one model. */
export interface AttemptRow {
  requestId: string;
  /** 1-based order within the request. */
  seq: number;
  ts: string;
  model: string;
  provider: string;
  status: 'ok' | 'error';
  errorKind: ErrorKind | null;
  errorMessage: string | null;
  upstreamStatus: number | null;
  latencyMs: number;
  ttftMs: number | null;
  usage: TokenUsage | null;
  costNanos: number | null;
}

/** One client request, whatever number of attempts it took. */
export interface RequestRow {
  id: string;
  ts: string;
  face: Face;
  operation: 'chat' | 'embed' | 'rerank' | 'image' | 'speech' | 'transcription';
  stream: boolean;
  keyId: string | null;
  keyName: string | null;
  user: string | null;
  tags: string[];
  requestedModel: string;
  servedModel: string | null;
  provider: string | null;
  status: 'ok' | 'error' | 'cancelled';
  errorKind: ErrorKind | null;
  attempts: number;
  latencyMs: number;
  ttftMs: number | null;
  usage: TokenUsage;
  /** Billionths of a USD; null when the price is unknown. */
  costNanos: number | null;
  /** The request brought its own provider keys (`providerOptions.gateway.byok`). */
  byok?: boolean;
  /** Answered from the response cache, with no upstream call. */
  cacheHit?: boolean;
}

/** One request refused by policy before any upstream call, as the ledger counts it: per caller, user, kind and UTC minute. */
export interface Refusal {
  /** When it was refused (ISO 8601 UTC). */
  ts: string;
  keyId: string | null;
  keyName: string | null;
  user: string | null;
  kind: ErrorKind;
}

/** Ledger rows as requests end. Writes are queued and committed in batches. */
export interface LedgerWriter {
  /** Queues the request and its attempts; they are committed together, in the next batch. */
  record(request: RequestRow, attempts: AttemptRow[]): void;
  /**
   * Counts a refused request. A flood of refusals from one caller adds one counter per minute
   * and kind, not one row per request; counts are committed with the next batch of rows.
   */
  countRefusal(refusal: Refusal): void;
  /**
   * Resolves once every row recorded so far is durable (it would outlive a crash of this
   * process); null when every row already is. A store may make them durable on the spot when
   * nothing else is in flight; callers that must not answer before that wait on the promise.
   */
  whenDurable(): Promise<void> | null;
  /**
   * Resolves once every row recorded so far is readable by every store on the same data (or,
   * while that store is out of reach, durable). Later than whenDurable where rows reach the
   * shared store in the background.
   */
  settled(): Promise<void>;
}

/** Which ledger rows count against a budget. */
export interface SpendFilter {
  keyId?: string;
  user?: string;
  tag?: string;
  /** ISO time; rows at or after it. */
  since?: string;
}

/** What budgets start from: spend already in the ledger. Sees every row recorded before the call. */
export interface SpendReader {
  /** Sum of known costs (nanos) of the rows matching the filter. */
  costSince(filter: SpendFilter): Promise<number>;
}

/** Reads over the ledger for people: spend reports, the request log, refusal counters. Each sees every row recorded before the call. */
export interface ReportReader {
  /**
   * Spend report rows (`GET /v1/report`), limited to the rows `scope` allows. Where refusals can
   * be grouped and filtered as asked (by time, user or key name), rows carry `refused_count`.
   */
  report(query: ReportQuery, scope: ReportScope): Promise<ReportRow[]>;
  /** Requests newest first (`GET /v1/requests`), limited to the rows `scope` allows. */
  listRequests(query: RequestListQuery, scope: ReportScope): Promise<RequestPage>;
  /** One request with its attempts in order; undefined when there is none, or `scope` may not see it. */
  getRequest(id: string, scope: ReportScope): Promise<RequestWithAttempts | undefined>;
  /** Refusal counters, oldest minute first. */
  listRefusals(): Promise<RefusalCount[]>;
}

/** Refused requests of one caller, user and kind within one UTC minute. */
export interface RefusalCount {
  /** `YYYY-MM-DDTHH:MM` (UTC). */
  minute: string;
  keyId: string | null;
  keyName: string | null;
  user: string | null;
  kind: ErrorKind;
  count: number;
}

/** Which requests to list; every filter narrows. */
export interface RequestListQuery {
  /** How many rows at most. */
  limit: number;
  /** Only requests older than this one (the last id of the previous page). */
  before?: string;
  /** The served model, or the requested one for a request nothing served. */
  model?: string;
  /** The name of the virtual key that made the request. */
  apiKeyName?: string;
  status?: RequestRow['status'];
  errorKind?: ErrorKind;
}

export interface RequestPage {
  requests: RequestRow[];
  /** Older rows match the query past this page. */
  hasMore: boolean;
}

export interface RequestWithAttempts {
  request: RequestRow;
  /** By `seq`, first attempt first. */
  attempts: AttemptRow[];
}

/** Media as kept: what was made, by whom, and when. */
export interface StoredMedia extends StoredImage {
  /** The caller that made it (`callerId`); null for media kept before owners were recorded. */
  owner: string | null;
  /** ISO 8601 UTC. */
  createdAt: string;
}

/** Images and audio the gateway made and keeps for a while, to be fetched again by id. */
export interface BlobStore {
  put(media: StoredImage, owner: string, createdAt: string): Promise<void>;
  get(id: string): Promise<StoredMedia | undefined>;
  /** Deletes every item made before `cutoff` (ISO 8601 UTC); returns how many went. */
  deleteCreatedBefore(cutoff: string): Promise<number>;
}

/**
 * A Responses API response as kept for `previous_response_id` and for reading back. The store
 * keeps the JSON as written and reads nothing inside it.
 */
export interface StoredResponse {
  /** `resp_…` */
  id: string;
  /** The caller that made it (`callerId`): to any other caller it does not exist. */
  owner: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  /** The response object as sent (JSON): output items, model, usage, status. */
  response: string;
  /** Every item the response was made from, earlier turns' included, oldest first (a JSON array). */
  inputItems: string;
}

/** Responses kept per caller for a while, to be continued, read back or deleted by id. */
export interface ResponseStore {
  /**
   * Keeps a response. One already kept under the same id (a client that reuses its request id)
   * is replaced when the same owner made it; another owner's is left alone, and false returned.
   */
  put(response: StoredResponse): Promise<boolean>;
  /** The response with this id, if `owner` made it. */
  get(id: string, owner: string): Promise<StoredResponse | undefined>;
  /** Deletes the response with this id if `owner` made it; true when one went. */
  delete(id: string, owner: string): Promise<boolean>;
  /** Deletes every response made before `cutoff` (ISO 8601 UTC); returns how many went. */
  deleteCreatedBefore(cutoff: string): Promise<number>;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event sent to one webhook endpoint, however many attempts it took. Never the secret. */
export interface WebhookDeliveryRow {
  /** Also the `webhook-id` header: stable across retries, the receiver's idempotency key. */
  id: string;
  /** When the event happened. */
  ts: string;
  url: string;
  eventType: string;
  /** The exact JSON body sent (and signed). */
  payload: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  /** HTTP status of the last attempt; null when it got no response. */
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}

export interface WebhookDeliveryStore {
  insertPending(delivery: Pick<WebhookDeliveryRow, 'id' | 'ts' | 'url' | 'eventType' | 'payload'>): Promise<void>;
  /** Counts one attempt and its outcome; `status` is where the delivery stands after it. */
  recordAttempt(id: string, attempt: { status: WebhookDeliveryStatus; httpStatus: number | null; error: string | null; at: string }): Promise<void>;
  /** Gives up without another attempt (queue full, shutdown). */
  markFailed(id: string, reason: string): Promise<void>;
  /** Newest first. */
  listRecent(options?: { limit?: number; status?: WebhookDeliveryStatus }): Promise<WebhookDeliveryRow[]>;
}

export type BudgetPeriod = 'day' | 'week' | 'month' | 'total';

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
  create(input: NewKey): Promise<{ key: string; record: KeyRecord }>;
  list(options?: { includeRevoked?: boolean }): Promise<KeyRecord[]>;
  /** By id, or by name among keys not revoked. */
  get(idOrName: string): Promise<KeyRecord | undefined>;
  /** The live record for a presented key: undefined when unknown, revoked or expired. */
  findByKey(key: string, now?: Date): Promise<KeyRecord | undefined>;
  update(idOrName: string, changes: KeyChanges): Promise<KeyRecord>;
  revoke(idOrName: string): Promise<KeyRecord>;
  /** Any key was ever created (revoked ones count): then every request must authenticate. */
  hasActiveKeys(): Promise<boolean>;
}

/** Everything the gateway keeps, on one backend. */
export interface Store {
  ledger: LedgerWriter;
  spend: SpendReader;
  reports: ReportReader;
  keys: KeyStore;
  /** Images and audio. */
  blobs: BlobStore;
  /** Responses API responses kept for `previous_response_id`. */
  responses: ResponseStore;
  webhooks: WebhookDeliveryStore;
  /**
   * Hears each key created, changed or revoked: `here` through this store, `elsewhere` by another
   * instance or process (PostgreSQL tells); the id is missing when changes may have been missed.
   */
  onKeyChange(listener: (keyId: string | undefined, origin: 'here' | 'elsewhere') => void): void;
  /** Where the ledger's rows are going, for `/health`. */
  health(): StoreHealth;
  /** Commits what is queued, then closes the connections. */
  close(): Promise<void>;
}

export interface StoreHealth {
  /** `degraded`: the database is out of reach and rows wait in the local spool. */
  ledger: 'ok' | 'degraded';
  /** Requests in the local spool, waiting for the database. */
  spooled: number;
}
