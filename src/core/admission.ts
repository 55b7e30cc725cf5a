import type { Config } from '../config/schema.js';
import type { Budgets, Reservation } from '../policy/budgets.js';
import { matchesAny } from '../policy/glob.js';
import type { RateLimiter, RatePlan, RateRule, RateTicket } from '../policy/rate-limits.js';
import { applyRules } from '../policy/rules.js';
import type { Principal } from '../policy/types.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { resolveCandidates, type Candidate } from './candidates.js';
import type { BareNames } from './bare-names.js';
import type { Byok } from './byok.js';
import type { ModelGroups } from './model-groups.js';
import { GatewayError } from './errors.js';
import { fileTokens } from './estimate/prompt-files.js';
import type { RequestEstimate } from './estimate/request-estimate.js';
import { candidateWebSearches } from './estimate/web-searches.js';
import type { MediaUsage } from './pricing/rate-card.js';
import type { Pricing } from './pricing.js';
import type { GatewayOptions, RateLimitState, TokenUsage } from './types.js';
import { toNanos } from './usage.js';

export interface AdmissionRequest {
  model: string;
  gateway: GatewayOptions | undefined;
  principal: Principal | undefined;
  user: string | null;
  tags: string[];
  estimate: () => RequestEstimate;
  /** Told the first candidate before the holds are sent, so that a read it starts travels with them. */
  onFirstCandidate?: (candidate: Candidate) => void;
}

/** What a request could be billed at most on one candidate, in the units settlement prices. */
export interface WorstCase {
  usage: TokenUsage;
  images: number;
  media?: MediaUsage;
}

/** A request let in: where it may go, and the holds to settle or release when it ends. */
export interface Admitted {
  candidates: Candidate[];
  rateLimit: RateLimitState | undefined;
  settle(costNanos: number | null, tokens: number): void;
  release(): void;
  /**
   * The output cap to send to this candidate: set when the request named none and a budget holds
   * the model's own cap, which the upstream then must not exceed.
   */
  outputCap(candidate: Candidate): number | undefined;
  /** The most this request could be billed on this candidate: billed when the upstream's usage is missing or wrong. */
  worstCase(candidate: Candidate): WorstCase;
}

/** The output cap held for a model whose own cap is not known. */
export const DEFAULT_MAX_OUTPUT = 4096;

/**
 * The policy step every request passes before any upstream call, whatever its face: routing
 * rules, the caller's model and provider allowlists, data-handling filters, rate limits and
 * budgets. Refusals are GatewayErrors the faces render (403, 429, 402).
 */
export class Admission {
  constructor(
    private readonly config: Config,
    private readonly registry: ProviderRegistry,
    private readonly pricing: Pricing,
    private readonly budgets: Budgets,
    private readonly rateLimiter: RateLimiter,
    private readonly maxOutputOf: (modelId: string) => number | undefined,
    private readonly names: { groups?: ModelGroups; bare?: BareNames; byok?: Byok } = {},
  ) {}

  async admit(request: AdmissionRequest): Promise<Admitted> {
    const principal = request.principal;
    let estimated: RequestEstimate | undefined;
    const estimate = () => (estimated ??= request.estimate());
    const scopes = this.budgets.scopesFor(principal, request.user, request.tags);
    const resolved = this.candidates(request);
    const byok = request.gateway?.byok;
    const withKeys = byok && this.names.byok ? await this.names.byok.apply(resolved, byok, principal) : resolved;
    const candidates = this.pricedUnderBudget(withKeys, scopes.length > 0, estimate);
    const worstCase = (candidate: Candidate) => this.worstCase(candidate, estimate());
    const outputCap = (candidate: Candidate) =>
      scopes.length > 0 && estimate().maxOutputTokens === undefined ? this.outputCapOf(candidate) : undefined;
    request.onFirstCandidate?.(candidates[0]!);

    const rateRules: RateRule[] = [];
    if (principal?.keyId && (principal.limits.rpm || principal.limits.tpm)) {
      rateRules.push({ id: `key:${principal.keyId}`, ...pick(principal.limits) });
    }
    const modelLimits = this.config.rateLimits[candidates[0]!.id];
    if (modelLimits) rateRules.push({ id: `model:${candidates[0]!.id}`, ...pick(modelLimits) });
    if (rateRules.length === 0 && scopes.length === 0) {
      return { candidates, rateLimit: undefined, settle: () => undefined, release: () => undefined, outputCap, worstCase };
    }

    let rate: RatePlan | undefined;
    if (rateRules.length) {
      const { usage } = worstCase(candidates[0]!);
      rate = this.rateLimiter.plan(rateRules, usage.input + usage.output);
    }
    let reservation: Reservation | undefined;
    let ticket: RateTicket | undefined;
    // With a budget, the rate windows are taken with the hold: one trip to the store, not two.
    if (scopes.length) {
      reservation = await this.budgets.reserve(scopes, this.heldNanos(candidates, estimate()), rate, { webSearches: this.searchesOf(candidates, estimate()) });
      ticket = reservation.ticket;
    } else if (rate) {
      ticket = await this.rateLimiter.take(rate);
    }
    return {
      candidates,
      rateLimit: ticket?.state,
      settle: (costNanos, tokens) => {
        reservation?.settle(costNanos);
        ticket?.settle(tokens);
      },
      release: () => {
        reservation?.release();
        ticket?.release();
      },
      outputCap,
      worstCase,
    };
  }

  /**
   * Under a budget, a model without a known price could spend without limit: unless config allows
   * it (`budgets.unpricedModels: "allow"`), unpriced candidates are dropped, and a request left
   * with none is refused.
   */
  private pricedUnderBudget(candidates: Candidate[], budgeted: boolean, estimate: () => RequestEstimate): Candidate[] {
    if (!budgeted || this.config.budgets.unpricedModels === 'allow') return candidates;
    const priced = candidates.filter((candidate) => this.worstCaseNanos(candidate, estimate()) !== null);
    if (priced.length > 0) return priced;
    const names = candidates.map((candidate) => candidate.id).join(', ');
    const searches = this.searchesOf(candidates, estimate());
    // Tokens priced but searches not: the setting to name is the search price.
    const searchesUnpriced = searches > 0 && candidates.some((candidate) => this.worstCaseNanos(candidate, estimate(), false) !== null);
    const setting = searchesUnpriced ? `models["${candidates[0]!.id}"].pricing.webSearchesPerThousand` : `models["${candidates[0]!.id}"].pricing`;
    throw new GatewayError(
      'unpriced_model',
      `${names} ${candidates.length > 1 ? 'have' : 'has'} no known price for this request${searchesUnpriced ? ` (its ${searches === 1 ? 'web search' : `up to ${searches} web searches`})` : ''}, ` +
        `and a budget applies to this caller: set a price in the config (${setting}), pick a priced model, or set budgets.unpricedModels to "allow"`,
      { model: candidates[0]!.id },
    );
  }

  /** The most web searches any one candidate may run for this request. */
  private searchesOf(candidates: Candidate[], estimate: RequestEstimate): number {
    let searches = 0;
    for (const candidate of candidates) searches = Math.max(searches, this.worstCase(candidate, estimate).usage.webSearches ?? 0);
    return searches;
  }

  /** The hold: the most any one candidate could charge for this request (0 for one without a price). */
  private heldNanos(candidates: Candidate[], estimate: RequestEstimate): number {
    let held = 0;
    for (const candidate of candidates) held = Math.max(held, this.worstCaseNanos(candidate, estimate) ?? 0);
    return held;
  }

  /**
   * The worst case priced as settlement prices it, tiers included. Input is priced both as plain
   * input and as cache writes (dearer at some providers), at every service tier with prices of
   * its own, whichever costs more. Null: no price. `searches` false: the tokens alone.
   */
  private worstCaseNanos(candidate: Candidate, estimate: RequestEstimate, searches = true): number | null {
    const { usage, images, media } = this.worstCase(candidate, estimate, searches);
    const { kind, id } = candidate.provider;
    const plain = this.pricing.costOf(kind, id, candidate.modelId, usage, images, media);
    if (plain === null) return null;
    let worst = plain;
    // The upstream may serve at any tier (`auto` lets it choose), so the dearest one is held.
    for (const serviceTier of [undefined, ...this.pricing.serviceTiersOf(kind, id, candidate.modelId)]) {
      const tiered = serviceTier === undefined ? usage : { ...usage, serviceTier };
      const asInput = this.pricing.costOf(kind, id, candidate.modelId, tiered, images, media) ?? 0;
      const asWrites = this.pricing.costOf(kind, id, candidate.modelId, { ...tiered, cacheWrite: usage.input }, images, media) ?? 0;
      worst = Math.max(worst, asInput, asWrites);
    }
    return toNanos(worst);
  }

  private worstCase(candidate: Candidate, estimate: RequestEstimate, searches = true): WorstCase {
    let input = estimate.inputTokens;
    for (const file of estimate.files ?? []) input += fileTokens(file, candidate.provider.kind, candidate.modelId);
    const images = estimate.images ?? 0;
    const output =
      images > 0 || estimate.characters !== undefined || estimate.audioSeconds !== undefined
        ? images * (estimate.imageOutputTokens ?? 0)
        : (estimate.maxOutputTokens ?? this.outputCapOf(candidate)) + (estimate.extraOutputTokens ?? 0);
    const usage: TokenUsage = { input, cacheRead: 0, cacheWrite: 0, output, reasoning: 0 };
    const webSearches = searches ? candidateWebSearches(candidate, estimate.webSearches ?? 0) : 0;
    if (webSearches) usage.webSearches = webSearches;
    if (estimate.characters !== undefined) return { usage, images, media: { unit: 'characters', amount: estimate.characters } };
    if (estimate.audioSeconds !== undefined) return { usage, images, media: { unit: 'audioSeconds', amount: estimate.audioSeconds } };
    return { usage, images };
  }

  private outputCapOf(candidate: Candidate): number {
    return this.maxOutputOf(candidate.id) ?? DEFAULT_MAX_OUTPUT;
  }

/** The requested model and its fallbacks after rules, allowlists and data filters. */
  private candidates(request: AdmissionRequest): Candidate[] {
    const rules = this.config.rules;
    const model = rules.length ? applyRules(request.model, rules).model : request.model;
    const fallbacks = (request.gateway?.models ?? []).flatMap((fallback) => {
      if (!rules.length) return [fallback];
      try {
        return [applyRules(fallback, rules).model];
      } catch {
        return []; // A denied fallback is skipped; only the requested model's denial is the client's answer.
      }
    });
    const all = resolveCandidates(model, { ...request.gateway, models: fallbacks }, this.registry, this.names);
    // A key's model list names what clients send: a group's name, not the ids of its deployments.
    const asked = (candidate: Candidate) => candidate.deployment?.group ?? candidate.id;

    const limits = request.principal?.limits;
    const gateway = request.gateway;
    const allowed = all.filter(
      (candidate) =>
        (!limits?.models || modelAllowed(asked(candidate), limits.models)) &&
        (!limits?.providers || limits.providers.includes(candidate.provider.id)) &&
        (!gateway?.zeroDataRetention || candidate.provider.config.zeroDataRetention) &&
        (!gateway?.disallowPromptTraining || !candidate.provider.config.trainsOnPrompts),
    );
    if (allowed.length > 0) return allowed;
    if (limits?.models && !all.some((candidate) => modelAllowed(asked(candidate), limits.models!))) {
      throw new GatewayError('forbidden', `this key may not use ${[...new Set(all.map(asked))].join(', ')}; it may use ${limits.models.join(', ')}`, { model });
    }
    if (limits?.providers && !all.some((candidate) => limits.providers!.includes(candidate.provider.id))) {
      throw new GatewayError('forbidden', `this key may not use provider(s) ${[...new Set(all.map((c) => c.provider.id))].join(', ')}; it may use ${limits.providers.join(', ')}`, { model });
    }
    const wanted = [gateway?.zeroDataRetention ? 'zero data retention' : '', gateway?.disallowPromptTraining ? 'no training on prompts' : ''].filter(Boolean).join(' and ');
    throw new GatewayError('forbidden', `no candidate provider offers ${wanted}; mark providers in config (zeroDataRetention / trainsOnPrompts) or drop the filter`, { model });
  }
}

/**
 * A key's model patterns: plain ones allow (`openai/*`), `!`-prefixed ones deny (`!openai/o1*`).
 * With only deny patterns, everything else is allowed.
 */
export function modelAllowed(model: string, patterns: readonly string[]): boolean {
  const deny = patterns.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1));
  const allow = patterns.filter((pattern) => !pattern.startsWith('!'));
  if (deny.length && matchesAny(model, deny)) return false;
  return allow.length === 0 || matchesAny(model, allow);
}

function pick(limits: { rpm?: number | undefined; tpm?: number | undefined }): Omit<RateRule, 'id'> {
  return { ...(limits.rpm ? { rpm: limits.rpm } : {}), ...(limits.tpm ? { tpm: limits.tpm } : {}) };
}
