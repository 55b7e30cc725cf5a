import type { LanguageModelV3CallOptions, LanguageModelV3Prompt } from '@ai-sdk/provider';
import type { Config } from '../config/schema.js';
import type { Budgets, Reservation } from '../policy/budgets.js';
import { matchesAny } from '../policy/glob.js';
import type { RateLimiter, RateRule, RateTicket } from '../policy/rate-limits.js';
import { applyRules } from '../policy/rules.js';
import type { Principal } from '../policy/types.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { resolveCandidates, type Candidate } from './candidates.js';
import { GatewayError } from './errors.js';
import { estimateTokens } from './stream-commit.js';
import type { Pricing } from './pricing.js';
import type { GatewayOptions, RateLimitState, TokenUsage } from './types.js';

/** What a request may use at most, for holding budget and tokens before it runs. */
export interface RequestEstimate {
  inputTokens: number;
  /** Requested cap on output; the model's own cap (or a default) otherwise. */
  maxOutputTokens?: number;
  images?: number;
  /** Characters of text to speak (speech is priced per character). */
  characters?: number;
}

export interface AdmissionRequest {
  model: string;
  gateway: GatewayOptions | undefined;
  principal: Principal | undefined;
  user: string | null;
  tags: string[];
  estimate: () => RequestEstimate;
}

/** A request let in: where it may go, and the holds to settle or release when it ends. */
export interface Admitted {
  candidates: Candidate[];
  rateLimit: RateLimitState | undefined;
  settle(costNanos: number | null, tokens: number): void;
  release(): void;
}

const DEFAULT_MAX_OUTPUT = 4096;

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
  ) {}

  async admit(request: AdmissionRequest): Promise<Admitted> {
    const candidates = this.candidates(request);
    const principal = request.principal;
    const rateRules: RateRule[] = [];
    if (principal?.keyId && (principal.limits.rpm || principal.limits.tpm)) {
      rateRules.push({ id: `key:${principal.keyId}`, ...pick(principal.limits) });
    }
    const modelLimits = this.config.rateLimits[candidates[0]!.id];
    if (modelLimits) rateRules.push({ id: `model:${candidates[0]!.id}`, ...pick(modelLimits) });
    const scopes = this.budgets.scopesFor(principal, request.user, request.tags);
    if (rateRules.length === 0 && scopes.length === 0) {
      return { candidates, rateLimit: undefined, settle: () => undefined, release: () => undefined };
    }

    const estimate = request.estimate();
    let reservation: Reservation | undefined;
    if (scopes.length) reservation = await this.budgets.reserve(scopes, this.worstCaseNanos(candidates, estimate));
    let ticket: RateTicket | undefined;
    try {
      if (rateRules.length) {
        const maxOutput = estimate.maxOutputTokens ?? this.maxOutputOf(candidates[0]!.id) ?? DEFAULT_MAX_OUTPUT;
        ticket = await this.rateLimiter.admit(rateRules, estimate.inputTokens + maxOutput);
      }
    } catch (error) {
      reservation?.release();
      throw error;
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
    };
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
    const all = resolveCandidates(model, { ...request.gateway, models: fallbacks }, this.registry);

    const limits = request.principal?.limits;
    const gateway = request.gateway;
    const allowed = all.filter(
      (candidate) =>
        (!limits?.models || modelAllowed(candidate.id, limits.models)) &&
        (!limits?.providers || limits.providers.includes(candidate.provider.id)) &&
        (!gateway?.zeroDataRetention || candidate.provider.config.zeroDataRetention) &&
        (!gateway?.disallowPromptTraining || !candidate.provider.config.trainsOnPrompts),
    );
    if (allowed.length > 0) return allowed;
    if (limits?.models && !all.some((candidate) => modelAllowed(candidate.id, limits.models!))) {
      throw new GatewayError('forbidden', `this key may not use ${all.map((c) => c.id).join(', ')}; it may use ${limits.models.join(', ')}`, { model });
    }
    if (limits?.providers && !all.some((candidate) => limits.providers!.includes(candidate.provider.id))) {
      throw new GatewayError('forbidden', `this key may not use provider(s) ${[...new Set(all.map((c) => c.provider.id))].join(', ')}; it may use ${limits.providers.join(', ')}`, { model });
    }
    const wanted = [gateway?.zeroDataRetention ? 'zero data retention' : '', gateway?.disallowPromptTraining ? 'no training on prompts' : ''].filter(Boolean).join(' and ');
    throw new GatewayError('forbidden', `no candidate provider offers ${wanted}; mark providers in config (zeroDataRetention / trainsOnPrompts) or drop the filter`, { model });
  }

  /** The most any one candidate could charge for this request; 0 where no price is known. */
  private worstCaseNanos(candidates: Candidate[], estimate: RequestEstimate): number {
    let worst = 0;
    for (const candidate of candidates) {
      const price = this.pricing.priceOf(candidate.provider.kind, candidate.provider.id, candidate.modelId);
      if (!price) continue;
      const maxOutput = estimate.maxOutputTokens ?? this.maxOutputOf(candidate.id) ?? DEFAULT_MAX_OUTPUT;
      const usd =
        estimate.inputTokens * Math.max(price.inputPerToken ?? 0, price.cacheWritePerToken ?? 0) +
        maxOutput * (price.outputPerToken ?? 0) +
        (estimate.images ?? 0) * (price.perImage ?? 0) +
        (estimate.characters ?? 0) * (price.perCharacter ?? 0) +
        (price.perRequest ?? 0);
      worst = Math.max(worst, Math.ceil(usd * 1e9));
    }
    return worst;
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

/** Tokens a prompt may take: text at about four characters a token, a fixed allowance per file. */
export function estimatePromptTokens(prompt: LanguageModelV3Prompt): number {
  let chars = 0;
  let files = 0;
  for (const message of prompt) {
    if (typeof message.content === 'string') {
      chars += message.content.length;
      continue;
    }
    for (const part of message.content) {
      if (part.type === 'text' || part.type === 'reasoning') chars += part.text.length;
      else if (part.type === 'file') files += 1;
      else if (part.type === 'tool-call') chars += JSON.stringify(part.input ?? '').length;
      else if (part.type === 'tool-result') chars += JSON.stringify(part.output ?? '').length;
    }
  }
  return Math.ceil(chars / 4) + files * 1_500 + prompt.length * 4;
}

export function estimateTextTokens(texts: readonly string[]): number {
  let chars = 0;
  for (const text of texts) chars += text.length;
  return Math.ceil(chars / 4) + texts.length;
}

/** The budget and token hold of a chat request: its prompt and its output cap. */
export function chatEstimate(call: LanguageModelV3CallOptions): () => RequestEstimate {
  return () => ({
    inputTokens: estimatePromptTokens(call.prompt),
    ...(call.maxOutputTokens !== undefined ? { maxOutputTokens: call.maxOutputTokens } : {}),
  });
}

/** Usage for a stream that ended before the upstream reported any: billed for what was produced. */
export function estimatedStreamUsage(prompt: LanguageModelV3Prompt, producedChars: number): TokenUsage {
  return { input: estimatePromptTokens(prompt), cacheRead: 0, cacheWrite: 0, output: estimateTokens(producedChars), reasoning: 0 };
}
