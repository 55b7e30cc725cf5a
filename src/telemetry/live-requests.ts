/**
 * The console's live view: the requests in flight in this process, and a one-minute ring of
 * one-second buckets counting the requests that ended, their errors and their cost. It subscribes
 * to the core's hooks (received → settled) and answers snapshots scoped like spend reports.
 */
import type { HookSubscriber, RequestReceived, RequestSettled } from '../core/hooks.js';
import type { LiveSnapshot, LiveView, InFlightRequest } from '../core/live-view.js';
import type { ReportScope } from '../core/types.js';
import type { RequestRow } from '../store/types.js';

const SECONDS = 60;
/**
 * A request whose settlement never arrives (a bug, or a stream abandoned in a way nothing
 * noticed) must not grow the map for ever: past this many, the oldest are forgotten.
 */
const MAX_IN_FLIGHT = 10_000;

interface Counts {
  requests: number;
  errors: number;
  cancelled: number;
  costNanos: number;
}

interface Bucket extends Counts {
  /** Whole seconds since the epoch; a bucket of another second is stale. */
  second: number;
  byKey: Map<string, Counts>;
  byUser: Map<string, Counts>;
}

interface Running extends Omit<InFlightRequest, 'startedAt' | 'elapsedMs'> {
  keyId: string | null;
  startedAtMs: number;
}

const zero = (): Counts => ({ requests: 0, errors: 0, cancelled: 0, costNanos: 0 });

function count(into: Counts, request: RequestRow): void {
  into.requests += 1;
  if (request.status === 'error') into.errors += 1;
  else if (request.status === 'cancelled') into.cancelled += 1;
  into.costNanos += request.costNanos ?? 0;
}

export class LiveRequests implements HookSubscriber, LiveView {
  /** By request id; a list, since a client may send the same `x-request-id` twice at once. */
  private readonly running = new Map<string, Running[]>();
  private runningCount = 0;
  private readonly buckets: Bucket[] = Array.from({ length: SECONDS }, () => ({ second: -1, ...zero(), byKey: new Map(), byUser: new Map() }));

  constructor(private readonly now: () => number = Date.now) {}

  requestReceived(request: RequestReceived): void {
    if (this.runningCount >= MAX_IN_FLIGHT) this.forgetOldest();
    const { requestId: id, face, operation, stream, model, keyId, keyName, user } = request;
    const entry: Running = { id, face, operation, stream, model, keyId, keyName, user, startedAtMs: this.now() };
    const same = this.running.get(id);
    if (same) same.push(entry);
    else this.running.set(id, [entry]);
    this.runningCount += 1;
  }

  settled({ request }: RequestSettled): void {
    const same = this.running.get(request.id);
    if (same) {
      same.shift();
      this.runningCount -= 1;
      if (same.length === 0) this.running.delete(request.id);
    }
    const bucket = this.bucketOf(Math.floor(this.now() / 1000));
    count(bucket, request);
    if (request.keyId) count(entryOf(bucket.byKey, request.keyId), request);
    if (request.user) count(entryOf(bucket.byUser, request.user), request);
  }

  snapshot(scope: ReportScope): LiveSnapshot {
    const nowMs = this.now();
    const current = Math.floor(nowMs / 1000);
    const visible = (request: { keyId: string | null; user: string | null }) =>
      scope.kind === 'all' || (scope.kind === 'key' ? request.keyId === scope.keyId : request.user === scope.user);
    const inFlight: InFlightRequest[] = [];
    for (const same of this.running.values()) {
      for (const { keyId, startedAtMs, ...request } of same) {
        if (!visible({ keyId, user: request.user })) continue;
        inFlight.push({ ...request, startedAt: new Date(startedAtMs).toISOString(), elapsedMs: Math.max(0, nowMs - startedAtMs) });
      }
    }
    inFlight.sort((a, b) => b.elapsedMs - a.elapsedMs);
    const total = zero();
    const seconds: LiveSnapshot['lastMinute']['seconds'] = [];
    for (let second = current - SECONDS + 1; second <= current; second++) {
      const bucket = this.buckets[second % SECONDS]!;
      const counts = bucket.second === second ? countsInScope(bucket, scope) : undefined;
      seconds.push({ start: new Date(second * 1000).toISOString(), requests: counts?.requests ?? 0, errors: counts?.errors ?? 0 });
      if (!counts) continue;
      total.requests += counts.requests;
      total.errors += counts.errors;
      total.cancelled += counts.cancelled;
      total.costNanos += counts.costNanos;
    }
    return { now: new Date(nowMs).toISOString(), inFlight, lastMinute: { ...total, seconds } };
  }

  private bucketOf(second: number): Bucket {
    const bucket = this.buckets[second % SECONDS]!;
    if (bucket.second !== second) {
      Object.assign(bucket, { second, ...zero() });
      bucket.byKey.clear();
      bucket.byUser.clear();
    }
    return bucket;
  }

  private forgetOldest(): void {
    const [id, same] = this.running.entries().next().value as [string, Running[]];
    same.shift();
    this.runningCount -= 1;
    if (same.length === 0) this.running.delete(id);
  }
}

function entryOf(map: Map<string, Counts>, id: string): Counts {
  let counts = map.get(id);
  if (!counts) {
    counts = zero();
    map.set(id, counts);
  }
  return counts;
}

function countsInScope(bucket: Bucket, scope: ReportScope): Counts | undefined {
  if (scope.kind === 'all') return bucket;
  return scope.kind === 'key' ? bucket.byKey.get(scope.keyId) : bucket.byUser.get(scope.user);
}
