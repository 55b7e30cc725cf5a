import type { Logger } from 'pino';
import type { AttemptRow, Ledger, RequestRow } from '../store/types.js';
import type { Candidate } from './candidates.js';
import { GatewayError } from './errors.js';
import type { Pricing } from './pricing.js';
import type { Admitted } from './admission.js';
import type { AttemptHandle } from './router.js';
import type { Accounting, ErrorKind, Face, RequestContext, TokenUsage } from './types.js';
import { fromNanos, toNanos, zeroUsage } from './usage.js';
import type { MediaUsage } from './pricing/rate-card.js';

/**
 * Policy refusals made at admission, before any upstream call. A caller can send them as fast as
 * it likes and they cost nothing, so the ledger counts them (per caller, user, kind and minute)
 * instead of keeping a row for each.
 */
const REFUSAL_KINDS: ReadonlySet<ErrorKind> = new Set(['insufficient_budget', 'rate_limited', 'forbidden']);

export interface RequestMeta {
  requestId: string;
  face: Face;
  operation: RequestRow['operation'];
  stream: boolean;
  requestedModel: string;
  context: RequestContext;
  startedAt: number;
  /** Holds taken at admission, settled or released with the request. */
  admitted?: Pick<Admitted, 'settle' | 'release'>;
}

/**
 * Writes what a request cost: its served attempt and the failures before it, priced, in one
 * transaction. The only place that turns usage into money and money into ledger rows.
 */
export class Settler {
  private readonly unpricedWarned = new Set<string>();

  constructor(
    private readonly ledger: Ledger,
    private readonly pricing: Pricing,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  costNanos(candidate: Candidate, usage: TokenUsage, images = 0, media?: MediaUsage): number | null {
    const cost = this.pricing.costOf(candidate.provider.kind, candidate.provider.id, candidate.modelId, usage, images, media);
    if (cost === null && !this.unpricedWarned.has(candidate.id)) {
      this.unpricedWarned.add(candidate.id);
      this.logger.warn({ model: candidate.id }, 'no known price for this model: its cost is recorded as null; set models["%s"].pricing in the config', candidate.id);
    }
    return toNanos(cost);
  }

  success(
    meta: RequestMeta,
    attempt: AttemptHandle,
    failures: AttemptRow[],
    outcome: { usage: TokenUsage; images?: number; media?: MediaUsage; ttftMs?: number | null; status?: 'ok' | 'error' | 'cancelled'; errorKind?: GatewayError['kind'] | null },
  ): Accounting {
    const now = performance.now();
    const costNanos = this.costNanos(attempt.candidate, outcome.usage, outcome.images, outcome.media);
    const ts = this.clock().toISOString();
    const status = outcome.status ?? 'ok';
    const served: AttemptRow = {
      requestId: meta.requestId,
      seq: attempt.seq,
      ts,
      model: attempt.candidate.id,
      provider: attempt.candidate.provider.id,
      status: status === 'ok' ? 'ok' : 'error',
      errorKind: outcome.errorKind ?? null,
      errorMessage: null,
      upstreamStatus: null,
      latencyMs: now - attempt.startedAt,
      ttftMs: outcome.ttftMs ?? null,
      usage: outcome.usage,
      costNanos,
    };
    this.write(meta, {
      servedModel: attempt.candidate.id,
      provider: attempt.candidate.provider.id,
      status,
      errorKind: outcome.errorKind ?? null,
      attempts: attempt.seq,
      ttftMs: outcome.ttftMs ?? null,
      usage: outcome.usage,
      costNanos,
    }, [...failures, served]);
    meta.admitted?.settle(costNanos, outcome.usage.input + outcome.usage.output);
    return {
      requestId: meta.requestId,
      servedModel: attempt.candidate.id,
      provider: attempt.candidate.provider.id,
      usage: outcome.usage,
      cost: fromNanos(costNanos),
      attempts: attempt.seq,
    };
  }

  /** A request admission did not let through: counted when policy refused it, recorded otherwise. */
  refused(meta: RequestMeta, error: unknown): void {
    if (!(error instanceof GatewayError) || !REFUSAL_KINDS.has(error.kind)) return this.failure(meta, error, []);
    try {
      this.ledger.countRefusal({
        ts: this.clock().toISOString(),
        keyId: meta.context.principal?.keyId ?? meta.context.keyId ?? null,
        keyName: meta.context.principal?.keyName ?? null,
        user: meta.context.user ?? null,
        kind: error.kind,
      });
    } catch (failure) {
      this.logger.error({ err: failure, requestId: meta.requestId }, 'could not count the refused request');
    }
  }

  failure(meta: RequestMeta, error: unknown, failures: AttemptRow[]): void {
    meta.admitted?.release();
    const kind = error instanceof GatewayError ? error.kind : 'internal';
    this.write(meta, {
      servedModel: null,
      provider: null,
      status: kind === 'client_closed' ? 'cancelled' : 'error',
      errorKind: kind,
      attempts: failures.length,
      ttftMs: null,
      usage: zeroUsage(),
      costNanos: null,
    }, failures);
  }

  private write(
    meta: RequestMeta,
    result: Pick<RequestRow, 'servedModel' | 'provider' | 'status' | 'errorKind' | 'attempts' | 'ttftMs' | 'usage' | 'costNanos'>,
    attempts: AttemptRow[],
  ): void {
    const row: RequestRow = {
      id: meta.requestId,
      ts: this.clock().toISOString(),
      face: meta.face,
      operation: meta.operation,
      stream: meta.stream,
      keyId: meta.context.principal?.keyId ?? meta.context.keyId ?? null,
      keyName: meta.context.principal?.keyName ?? null,
      user: meta.context.user ?? null,
      tags: meta.context.tags ?? [],
      requestedModel: meta.requestedModel,
      latencyMs: performance.now() - meta.startedAt,
      ...result,
    };
    try {
      this.ledger.record(row, attempts);
    } catch (error) {
      // Losing a ledger row is serious but must not turn a served answer into a failure.
      this.logger.error({ err: error, requestId: meta.requestId }, 'could not write the ledger row');
    }
  }
}
