/**
 * What the core tells about each request as it runs: when it is received (its bookkeeping
 * starts) and when it is settled (its ledger row is written). Observers only watch: one that
 * throws is ignored, and never fails a request or loses a row.
 */
import type { Logger } from 'pino';
import type { RequestRow } from '../store/types.js';
import type { ReportScope } from './types.js';

export interface RequestStarted {
  id: string;
  face: RequestRow['face'];
  operation: RequestRow['operation'];
  stream: boolean;
  /** The model asked for. */
  model: string;
  keyId: string | null;
  keyName: string | null;
  user: string | null;
}

export interface RequestObserver {
  received(request: RequestStarted): void;
  settled(request: RequestRow): void;
}

export interface InFlightRequest extends Omit<RequestStarted, 'keyId'> {
  startedAt: string;
  elapsedMs: number;
}

export interface LiveSecond {
  /** ISO time of the second's start. */
  start: string;
  requests: number;
  errors: number;
}

/** The requests running now and those that ended in the last minute, as one caller may see them. */
export interface LiveSnapshot {
  now: string;
  /** Oldest first. */
  inFlight: InFlightRequest[];
  lastMinute: {
    requests: number;
    errors: number;
    cancelled: number;
    /** Known costs of the minute's requests, in billionths of a USD. */
    costNanos: number;
    /** Sixty one-second buckets, oldest first, the current second last. */
    seconds: LiveSecond[];
  };
}

export interface LiveView {
  snapshot(scope: ReportScope): LiveSnapshot;
}

/** Calls an observer without letting its failure reach the request: it is logged instead. */
export function notify(observer: RequestObserver | undefined, logger: Pick<Logger, 'warn'>, call: (observer: RequestObserver) => void): void {
  if (!observer) return;
  try {
    call(observer);
  } catch (error) {
    logger.warn({ err: error }, 'a request observer failed; the request goes on');
  }
}
