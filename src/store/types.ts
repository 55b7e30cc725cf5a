import type { ErrorKind, Face, SpendQuery, SpendReport, StoredImage, TokenUsage } from '../core/types.js';

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
  operation: 'chat' | 'embed' | 'rerank' | 'image';
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
}

export interface Ledger {
  /** Writes the request and its attempts in one transaction. */
  record(request: RequestRow, attempts: AttemptRow[]): void;
  spend(query: SpendQuery): SpendReport;
}

export interface ImageStore {
  put(image: StoredImage): void;
  get(id: string): StoredImage | undefined;
}

export interface Store {
  ledger: Ledger;
  images: ImageStore;
  close(): void;
}
