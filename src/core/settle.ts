import type { Logger } from 'pino';
import type { AttemptRow, LedgerWriter, RequestRow } from '../store/types.js';
import type { Candidate } from './candidates.js';
import { GatewayError } from './errors.js';
import { attemptEndedOf, type Hooks } from './hooks.js';
import type { Pricing } from './pricing.js';
import type { Admitted } from './admission.js';
import type { AttemptHandle } from './router.js';
import type { Accounting, ErrorKind, Face, RequestContext, TokenUsage } from './types.js';
import { addUsage, fromNanos, toNanos, usageProblem, zeroUsage } from './usage.js';
import type { MediaUsage } from './pricing/rate-card.js';

/**
 * Policy refusals made at admission, before any upstream call. A caller can send them as fast as
 * it likes and they cost nothing, so the ledger counts them (per caller, user, kind and minute)
 * instead of keeping a row for each.
 */
const REFUSAL_KINDS: ReadonlySet<ErrorKind> = new Set(['insufficient_budget', 'rate_limited', 'forbidden', 'unpriced_model']);

type RequestOutcome = Pick<RequestRow, 'servedModel' | 'provider' | 'status' | 'errorKind' | 'attempts' | 'ttftMs' | 'usage' | 'costNanos' | 'cacheHit'>;

export interface RequestMeta {
  requestId: string;
  face: Face;
  operation: RequestRow['operation'];
  stream: boolean;
  requestedModel: string;
  context: RequestContext;
  startedAt: number;
  /** The request brought its own provider keys. */
  byok?: boolean;
  /** Holds taken at admission, settled or released with the request, and the worst case they cover. */
  admitted?: Pick<Admitted, 'settle' | 'release' | 'worstCase' | 'outputCap'>;
}

/** What the served attempt used, as the upstream reported it; undefined when it reported nothing. */
export interface ServedOutcome {
  usage: TokenUsage | undefined;
  images?: number;
  media?: MediaUsage;
  ttftMs?: number | null;
  status?: 'ok' | 'error' | 'cancelled';
  /** The upstream's finish reasons, for traces. */
  finishReasons?: string[];
  errorKind?: GatewayError['kind'] | null;
}

/** No audio is this long (115 days): a duration above it is not believed. */
const MAX_REPORTED_SECONDS = 10_000_000;

/**
 * Writes what a request cost: its served attempt and the failures before it, priced, in one
 * transaction. The only place that turns usage into money and money into ledger rows.
 */
export class Settler {
  private readonly unpricedWarned = new Set<string>();
  private readonly usageMissingWarned = new Set<string>();
  private readonly tierUnpricedWarned = new Set<string>();

  constructor(
    private readonly ledger: LedgerWriter,
    private readonly pricing: Pricing,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
    private readonly hooks?: Hooks,
  ) {}

  costNanos(candidate: Candidate, usage: TokenUsage, images = 0, media?: MediaUsage): number | null {
    const { kind, id } = candidate.provider;
    const cost = this.pricing.costOf(kind, id, candidate.modelId, usage, images, media);
    const searchesUnpriced = cost === null && (usage.webSearches ?? 0) > 0 && this.pricing.costOf(kind, id, candidate.modelId, { ...usage, webSearches: 0 }, images, media) !== null;
    const warnedAs = searchesUnpriced ? `${candidate.id}\u0000search` : candidate.id;
    if (cost === null && !this.unpricedWarned.has(warnedAs)) {
      this.unpricedWarned.add(warnedAs);
      if (searchesUnpriced) {
        this.logger.warn({ model: candidate.id }, 'no known price for the web searches of this model: its cost is recorded as null; set models["%s"].pricing.webSearchesPerThousand in the config', candidate.id);
      } else {
        this.logger.warn({ model: candidate.id }, 'no known price for this model: its cost is recorded as null; set models["%s"].pricing in the config', candidate.id);
      }
    }
    const tier = usage.serviceTier;
    if (cost !== null && tier !== undefined && !this.pricing.serviceTiersOf(kind, id, candidate.modelId).includes(tier)) this.warnTierUnpriced(candidate.id, tier);
    return toNanos(cost);
  }

  private warnTierUnpriced(model: string, tier: string): void {
    const key = `${model}\u0000${tier}`;
    if (this.tierUnpricedWarned.has(key)) return;
    this.tierUnpricedWarned.add(key);
    this.logger.warn(
      { model, serviceTier: tier },
      'no price is known for the "%s" service tier of this model: it is billed at the default tier\'s prices; set models["%s"].pricing.serviceTiers.%s in the config',
      tier,
      model,
      tier,
    );
  }

  success(meta: RequestMeta, attempt: AttemptHandle, failures: AttemptRow[], outcome: ServedOutcome): Accounting {
    const now = performance.now();
    const billed = this.billable(meta, attempt, outcome);
    const costNanos = this.costNanos(attempt.candidate, billed.usage, billed.images, billed.media);
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
      usage: billed.usage,
      costNanos,
    };
    this.hooks?.emit('attemptEnded', attemptEndedOf(served, status, outcome.finishReasons));
    const total = totals([...failures, served]);
    this.write(meta, {
      servedModel: attempt.candidate.id,
      provider: attempt.candidate.provider.id,
      status,
      errorKind: outcome.errorKind ?? null,
      attempts: attempt.seq,
      ttftMs: outcome.ttftMs ?? null,
      usage: total.usage,
      costNanos: total.costNanos,
    }, [...failures, served]);
    meta.admitted?.settle(total.costNanos, total.usage.input + total.usage.output);
    return {
      requestId: meta.requestId,
      servedModel: attempt.candidate.id,
      provider: attempt.candidate.provider.id,
      usage: billed.usage,
      cost: fromNanos(costNanos),
      attempts: attempt.seq,
    };
  }

  /**
   * The usage to bill: the upstream's when it can be believed; otherwise (none reported, counts
   * that are not whole numbers in range, a duration that is missing or absurd) the worst case
   * admission held, since the upstream may have billed that much.
   */
  private billable(meta: RequestMeta, attempt: AttemptHandle, outcome: ServedOutcome): { usage: TokenUsage; images: number; media?: MediaUsage } {
    const images = outcome.images ?? 0;
    const problem = outcome.usage === undefined ? 'it reported no usage' : usageProblem(outcome.usage);
    const media = outcome.media;
    const mediaProblem =
      media?.unit === 'audioSeconds' && (media.amount === null || !Number.isFinite(media.amount) || media.amount < 0 || media.amount > MAX_REPORTED_SECONDS)
        ? 'it reported no usable audio duration'
        : null;
    if (problem === null && mediaProblem === null) return { usage: outcome.usage!, images, ...(media ? { media } : {}) };
    const worst = meta.admitted?.worstCase(attempt.candidate);
    // Some providers never report usage for some operations: say so once per model, not per request.
    const silent = outcome.usage === undefined && mediaProblem === null;
    if (!silent || !this.usageMissingWarned.has(attempt.candidate.id)) {
      if (silent) this.usageMissingWarned.add(attempt.candidate.id);
      this.logger.warn(
        { requestId: meta.requestId, model: attempt.candidate.id, problem: mediaProblem ?? problem },
        'the upstream usage cannot be billed as reported; billing the worst case held at admission',
      );
    }
    if (!worst) return { usage: zeroUsage(), images, ...(media ? { media } : {}) };
    const usage = problem === null ? outcome.usage! : worst.usage;
    const billedMedia = mediaProblem === null ? media : worst.media;
    return { usage, images: problem === null ? images : Math.max(images, worst.images), ...(billedMedia ? { media: billedMedia } : {}) };
  }

  /** A request answered from the response cache: no upstream call, so no attempt, no tokens and no cost. */
  cacheHit(meta: RequestMeta, served: { servedModel: string; provider: string; usage: TokenUsage }): Accounting {
    this.write(meta, {
      servedModel: served.servedModel,
      provider: served.provider,
      status: 'ok',
      errorKind: null,
      attempts: 0,
      ttftMs: 0,
      usage: zeroUsage(),
      costNanos: 0,
      cacheHit: true,
    }, []);
    return { requestId: meta.requestId, servedModel: served.servedModel, provider: served.provider, usage: served.usage, cost: 0, attempts: 0, cache: 'hit' };
  }

  /** A request admission did not let through: counted when policy refused it, recorded otherwise. */
  refused(meta: RequestMeta, error: unknown): void {
    this.hooks?.emit('refused', { requestId: meta.requestId, kind: error instanceof GatewayError ? error.kind : 'internal' });
    if (!(error instanceof GatewayError) || !REFUSAL_KINDS.has(error.kind)) return this.failure(meta, error, []);
    const row = this.row(meta, { servedModel: null, provider: null, status: 'error', errorKind: error.kind, attempts: 0, ttftMs: null, usage: zeroUsage(), costNanos: null });
    try {
      this.ledger.countRefusal({ ts: row.ts, keyId: row.keyId, keyName: row.keyName, user: row.user, kind: error.kind });
    } catch (failure) {
      this.logger.error({ err: failure, requestId: meta.requestId }, 'could not count the refused request');
    }
    this.hooks?.emit('settled', { request: row, attempts: [] });
  }

  /** A request no attempt served: what its failed attempts are known to have cost is still charged. */
  failure(meta: RequestMeta, error: unknown, failures: AttemptRow[]): void {
    const total = totals(failures);
    if (total.costNanos === null) meta.admitted?.release();
    else meta.admitted?.settle(total.costNanos, total.usage.input + total.usage.output);
    const kind = error instanceof GatewayError ? error.kind : 'internal';
    this.hooks?.emit('error', { requestId: meta.requestId, error });
    this.write(meta, {
      servedModel: null,
      provider: null,
      status: kind === 'client_closed' ? 'cancelled' : 'error',
      errorKind: kind,
      attempts: failures.length,
      ttftMs: null,
      usage: total.usage,
      costNanos: total.costNanos,
    }, failures);
  }

  private write(meta: RequestMeta, result: RequestOutcome, attempts: AttemptRow[]): void {
    const row = this.row(meta, result);
    try {
      this.ledger.record(row, attempts);
    } catch (error) {
      // Losing a ledger row is serious but must not turn a served answer into a failure.
      this.logger.error({ err: error, requestId: meta.requestId }, 'could not write the ledger row');
    }
    this.hooks?.emit('settled', { request: row, attempts });
  }

  private row(meta: RequestMeta, result: RequestOutcome): RequestRow {
    return {
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
      ...(meta.byok ? { byok: true } : {}),
      ...result,
    };
  }
}

/** A request's usage and cost: every attempt's that is known (failed attempts may have been billed too). */
function totals(attempts: AttemptRow[]): { usage: TokenUsage; costNanos: number | null } {
  const usage = zeroUsage();
  let costNanos: number | null = null;
  for (const attempt of attempts) {
    if (attempt.usage) addUsage(usage, attempt.usage);
    if (attempt.costNanos !== null) costNanos = (costNanos ?? 0) + attempt.costNanos;
  }
  return { usage, costNanos };
}
