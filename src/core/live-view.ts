/** The console's live view: the requests in flight and the last minute's, as one caller may see them. */
import type { RequestReceived } from './hooks.js';
import type { ReportScope } from './types.js';

export interface InFlightRequest extends Omit<RequestReceived, 'keyId' | 'requestId' | 'traceparent'> {
  id: string;
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
