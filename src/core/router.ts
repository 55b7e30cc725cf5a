import { setTimeout as timersSleep } from 'node:timers/promises';
import type { Config } from '../config/schema.js';
import type { AttemptRow } from '../store/types.js';
import { healthId, type Candidate } from './candidates.js';
import type { AttemptWatch } from './deployment-figures.js';
import type { KeyPools } from './key-pools.js';
import { classifyUpstreamError } from './classify-error.js';
import { GatewayError } from './errors.js';
import type { CircuitBreakers, CircuitState } from './circuit-breaker.js';
import type { Redact } from './redact.js';
import { attemptEndedOf, type Hooks } from './hooks.js';
import { withUpstreamHeaders } from './upstream-headers.js';
import { reportedUsageOf } from './reported-usage.js';
import type { TokenUsage } from './types.js';

/** An attempt in flight: what the runner gets to do its one upstream call. */
export interface AttemptHandle {
  candidate: Candidate;
  /** Aborts on the provider's deadline or when the client goes away. */
  signal: AbortSignal;
  seq: number;
  startedAt: number;
  /**
   * Ends the deadline. Streams call it at their commit point; the signal stays tied to the
   * client so a disconnect still cancels the upstream.
   */
  commit(): void;
  /** Drops the tie to the client's signal once the attempt's work is over. */
  release(): void;
  /** Cancels the upstream call (a stalled or abandoned stream). */
  abort(): void;
}

export interface RouteOutcome<T> {
  value: T;
  handle: AttemptHandle;
}

/** Waits `ms`, or less if `signal` aborts (it may then reject). */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<unknown>;

export const realSleep: Sleep = (ms, signal) => timersSleep(ms, undefined, signal ? { signal } : {});

export interface RouteOptions {
  requestId: string;
  routing: Config['routing'];
  clientSignal?: AbortSignal;
  /** Streams keep the attempt tied to the client after the commit point; they call release(). */
  keepAttemptOpen?: boolean;
  /** Receives each failed attempt as a ledger row, so the caller has them whether or not one serves. */
  failures: AttemptRow[];
  /** Scrubs secrets from upstream messages, and cuts them. */
  redact: Redact;
  /** Candidates whose circuit is open are skipped. */
  breakers: CircuitBreakers;
  /** A candidate's circuit, read ahead (with the budget holds): the router reads it again only for other candidates. */
  circuitAhead?: { id: string; state: Promise<CircuitState> };
  /**
   * The catalog's context window of a candidate, when known. After a candidate refuses the
   * prompt as too long, only candidates known to have a larger window are tried.
   */
  contextWindowOf?: (candidate: Candidate) => number | undefined;
  /** Backoff and `retry-after` waits go through it. */
  sleep?: Sleep;
  /** Ledger times and `retry-after` dates are read from it (ms since the epoch). */
  clock?: () => number;
  /** Prices what a failed attempt is known to have used (the upstream may bill it). */
  costOf?: (candidate: Candidate, usage: TokenUsage) => number | null;
  /** Told when each attempt starts, and when a failed one ends (the served one ends at settlement). */
  hooks?: Hooks;
  /**
   * Takes the candidate's slot under its own RPM/TPM limits before its first try; a candidate
   * at its limit is skipped (the answer: seconds until it has room).
   */
  takeSlot?: (candidate: Candidate) => Promise<{ full: false } | { full: true; retryAfterSeconds: number }>;
  /** Follows each attempt, for the strategies' latency and in-flight figures. */
  watch?: (candidate: Candidate) => AttemptWatch;
  /** Providers with several keys: each attempt takes the next key not resting after a 429. */
  keys?: KeyPools;
}

/**
 * Tries candidates in order. An error whose kind is retryable (provably not billed) is tried
 * again on the same candidate with backoff; one whose kind allows fallback moves on to the next
 * candidate; any other ends the request. Decisions come from the error kind only.
 */
export async function route<T>(
  candidates: Candidate[],
  options: RouteOptions,
  run: (attempt: AttemptHandle) => PromiseLike<T>,
): Promise<RouteOutcome<T>> {
  const failures = options.failures;
  const now = options.clock ?? Date.now;
  let seq = 0;
  let lastError: GatewayError | undefined;
  const paused: string[] = [];
  const full: { id: string; retryAfterSeconds: number }[] = [];
  const context = new ContextFloor(options.contextWindowOf);
  let ahead = options.circuitAhead;
  for (const pooled of candidates) {
    if (!context.mayFit(pooled)) continue;
    const health = healthId(pooled);
    const known = ahead?.id === health ? ahead.state : undefined;
    if (known) ahead = undefined;
    if (!(await options.breakers.allow(health, pooled.provider.config.timeoutMs, known))) {
      paused.push(pooled.id);
      continue;
    }
    const slot = await options.takeSlot?.(pooled);
    if (slot?.full) {
      await options.breakers.release(health);
      full.push({ id: pooled.id, retryAfterSeconds: slot.retryAfterSeconds });
      continue;
    }
    for (let attemptOnCandidate = 0, keyChanges = 0; ; attemptOnCandidate++) {
      if (options.clientSignal?.aborted) throw clientClosed(failures);
      const key = options.keys?.pick(pooled) ?? { kind: 'key', candidate: pooled };
      if (key.kind === 'resting') {
        lastError = new GatewayError('upstream_rate_limited', `every API key of provider ${pooled.provider.id} is resting after a 429; retry in ${key.seconds} s`, {
          provider: pooled.provider.id,
          model: pooled.id,
          retryAfterSeconds: key.seconds,
        });
        break;
      }
      const candidate = key.candidate;
      seq += 1;
      const handle = startAttempt(candidate, seq, options.clientSignal, options.watch?.(candidate));
      const upstreamHeaders: Record<string, string> = {};
      options.hooks?.emit('attemptStarted', { requestId: options.requestId, seq, model: candidate.id, provider: candidate.provider.id, upstreamHeaders });
      try {
        const value = await withUpstreamHeaders(upstreamHeaders, () => run(handle.attempt));
        handle.answered();
        void options.breakers.success(health);
        handle.attempt.commit();
        if (!options.keepAttemptOpen) handle.dispose();
        return { value, handle: handle.attempt };
      } catch (thrown) {
        handle.dispose();
        if (options.clientSignal?.aborted) {
          options.hooks?.emit('attemptEnded', attemptEndedOf(failureRow(options.requestId, now(), handle.attempt, clientClosed([]), undefined, null), 'cancelled'));
          await options.breakers.release(health);
          throw clientClosed(failures);
        }
        const error = handle.timedOut()
          ? new GatewayError('upstream_timeout', `provider ${candidate.provider.id} did not answer within ${candidate.provider.config.timeoutMs} ms`, {
              provider: candidate.provider.id,
              model: candidate.id,
            })
          : redacted(classifyUpstreamError(thrown, { provider: candidate.provider.id, model: candidate.id }, now()), options.redact);
        const usage = reportedUsageOf(thrown);
        const failed = failureRow(options.requestId, now(), handle.attempt, error, usage, usage && options.costOf ? options.costOf(candidate, usage) : null);
        failures.push(failed);
        options.hooks?.emit('attemptEnded', attemptEndedOf(failed));
        await options.breakers.failure(health, error.kind);
        if (error.kind === 'context_exceeded') context.tooSmall(candidate);
        lastError = error;
        // Another key of the pool serves at once; the loop ends when every key rests.
        if (error.kind === 'upstream_rate_limited' && options.keys?.rest(candidate, error.details.retryAfterSeconds) && keyChanges++ < MAX_KEY_CHANGES) {
          attemptOnCandidate -= 1;
          continue;
        }
        if (!error.fallback && !error.retryable) throw finalError(error, failures);
        const wait = error.retryable ? backoffMs(attemptOnCandidate, error, options.routing) : null;
        if (wait === null || attemptOnCandidate >= options.routing.retries) break;
        await (options.sleep ?? realSleep)(wait, options.clientSignal).catch(() => undefined);
      }
    }
  }
  if (!lastError && full.length) {
    const retryAfterSeconds = Math.min(...full.map((entry) => entry.retryAfterSeconds));
    throw new GatewayError(
      'rate_limited',
      `every deployment is at its own rate limit (${full.map((entry) => entry.id).join(', ')}); retry in ${retryAfterSeconds} s`,
      { retryAfterSeconds },
    );
  }
  if (!lastError && paused.length) {
    throw new GatewayError('circuit_open', `every candidate is paused after repeated failures (${paused.join(', ')}); retry after the cool-down or add a fallback model on another provider`);
  }
  throw finalError(lastError ? context.explain(lastError) : new GatewayError('model_not_found', 'no candidate to try'), failures);
}

/**
 * A prompt one model found too long will not fit a model whose context window is no larger: such
 * fallbacks are skipped, as are those whose window is unknown once the failing one's is known.
 * When the failing model's own window is unknown nothing can be compared, and every fallback is tried.
 */
class ContextFloor {
  /** The largest window known to be too small for this prompt. */
  private floor: number | undefined;
  private readonly skipped: string[] = [];

  constructor(private readonly windowOf: ((candidate: Candidate) => number | undefined) | undefined) {}

  mayFit(candidate: Candidate): boolean {
    if (this.floor === undefined) return true;
    const window = this.windowOf?.(candidate);
    if (window !== undefined && window > this.floor) return true;
    this.skipped.push(candidate.id);
    return false;
  }

  tooSmall(candidate: Candidate): void {
    const window = this.windowOf?.(candidate);
    if (window !== undefined) this.floor = Math.max(this.floor ?? 0, window);
  }

  /** The final context error says which fallbacks were not tried, and why. */
  explain(error: GatewayError): GatewayError {
    if (error.kind !== 'context_exceeded' || this.skipped.length === 0) return error;
    const message = `${error.message} (not tried, as their context window is not known to be larger than ${this.floor} tokens: ${this.skipped.join(', ')})`;
    return new GatewayError(error.kind, message, error.details);
  }
}

/** Bounds the switches between keys of one pool in one request, whatever the pool's size. */
const MAX_KEY_CHANGES = 32;

/** The most of an upstream's message that is kept (in errors, logs and the ledger). */
export const MAX_UPSTREAM_MESSAGE_CHARS = 400;

function redacted(error: GatewayError, redact: Redact): GatewayError {
  const message = redact(error.message, MAX_UPSTREAM_MESSAGE_CHARS);
  return message === error.message ? error : new GatewayError(error.kind, message, error.details);
}

function startAttempt(candidate: Candidate, seq: number, clientSignal: AbortSignal | undefined, watch: AttemptWatch | undefined) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('upstream deadline passed', 'TimeoutError'));
  }, candidate.provider.config.timeoutMs);
  const onClientAbort = () => controller.abort(clientSignal?.reason);
  clientSignal?.addEventListener('abort', onClientAbort, { once: true });
  const dispose = () => {
    clearTimeout(timer);
    clientSignal?.removeEventListener('abort', onClientAbort);
    watch?.ended();
  };
  const attempt: AttemptHandle = {
    candidate,
    signal: controller.signal,
    seq,
    startedAt: performance.now(),
    commit: () => clearTimeout(timer),
    release: dispose,
    abort: () => controller.abort(new DOMException('the gateway cancelled the upstream call', 'AbortError')),
  };
  return { attempt, dispose, answered: () => watch?.answered(), timedOut: () => timedOut };
}

function backoffMs(attemptOnCandidate: number, error: GatewayError, routing: Config['routing']): number | null {
  const asked = error.details.retryAfterSeconds;
  if (asked !== undefined) {
    const ms = asked * 1000;
    // An upstream that wants longer than we are willing to wait is better skipped for the next candidate.
    return ms <= routing.maxBackoffMs ? ms : null;
  }
  const base = Math.min(routing.maxBackoffMs, routing.backoffMs * 2 ** attemptOnCandidate);
  return Math.round(base * (0.5 + Math.random() / 2));
}

function failureRow(requestId: string, at: number, attempt: AttemptHandle, error: GatewayError, usage: TokenUsage | undefined, costNanos: number | null): AttemptRow {
  return {
    requestId,
    seq: attempt.seq,
    ts: new Date(at).toISOString(),
    model: attempt.candidate.id,
    provider: attempt.candidate.provider.id,
    status: 'error',
    errorKind: error.kind,
    errorMessage: error.message,
    upstreamStatus: error.details.upstreamStatus ?? null,
    latencyMs: performance.now() - attempt.startedAt,
    ttftMs: null,
    usage: usage ?? null,
    costNanos,
  };
}

function finalError(error: GatewayError, failures: AttemptRow[]): GatewayError {
  return new GatewayError(error.kind, error.message, {
    ...error.details,
    attempts: failures.map((row) => ({ model: row.model, provider: row.provider, kind: row.errorKind!, message: row.errorMessage ?? '' })),
  });
}

function clientClosed(failures: AttemptRow[]): GatewayError {
  return finalError(new GatewayError('client_closed', 'the client closed the request'), failures);
}
