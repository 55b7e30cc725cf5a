import { GatewayError } from './errors.js';
import type { ProviderEntry, ProviderRegistry } from '../providers/registry.js';
import type { BareNames } from './bare-names.js';
import type { ModelGroups } from './model-groups.js';
import type { Deployment } from './strategies/strategy.js';
import type { GatewayOptions } from './types.js';

/** One (provider, model) pair the router may try. */
export interface Candidate {
  /** `provider/model` as the client named it. */
  id: string;
  provider: ProviderEntry;
  /** The model id the provider knows, without our prefix. */
  modelId: string;
  /** Set when the candidate is a deployment of a model group. */
  deployment?: Deployment;
}

/** What breakers know a candidate by: its deployment, or its `provider/model`. */
export function healthId(candidate: Candidate): string {
  return candidate.deployment?.id ?? candidate.id;
}

/**
 * What a provider's model id may hold. Some provider packages put it in the request URL
 * (Gemini: `…/models/{id}:generateContent`), so nothing that would change that URL's path,
 * query or fragment: no `?`, `#`, `%`, `\`, spaces, empty or dot segments. Slashes between
 * segments stay (`meta-llama/Llama-3-8b`, `tunedModels/x`), so do `:` and `@` (`llama3:8b`,
 * `claude-3@20240229`).
 */
const MODEL_ID_SEGMENT = /^[A-Za-z0-9_+:@-][A-Za-z0-9._+:@-]*$/;

export function isSafeModelId(modelId: string): boolean {
  return modelId.length <= 256 && modelId.split('/').every((segment) => MODEL_ID_SEGMENT.test(segment) && !/^\.+$/.test(segment));
}

export function splitModelId(id: string): { providerId: string; modelId: string } | null {
  const slash = id.indexOf('/');
  if (slash <= 0 || slash === id.length - 1) return null;
  return { providerId: id.slice(0, slash), modelId: id.slice(slash + 1) };
}

/**
 * The requested model, then the fallback models, as candidates (a model group gives its
 * deployments, in its strategy's order): `only` drops providers not listed, `order` moves the
 * listed providers first (in that order), keeping the rest stable.
 */
export function resolveCandidates(
  model: string,
  options: GatewayOptions | undefined,
  registry: ProviderRegistry,
  names: { groups?: ModelGroups; bare?: BareNames } = {},
): Candidate[] {
  const ids = [model, ...(options?.models ?? [])].filter((id, index, all) => all.indexOf(id) === index);
  const candidates: Candidate[] = [];
  const unknown: string[] = [];
  for (const id of ids) {
    const deployments = names.groups?.candidates(id);
    if (deployments) {
      candidates.push(...deployments);
      continue;
    }
    const parts = splitModelId(id) ?? splitModelId(bareName(id, names.bare));
    if (!parts) {
      throw new GatewayError('invalid_request', `model "${id}" must be written as provider/model, e.g. openai/gpt-4o-mini or mock/echo`, {
        param: 'model',
      });
    }
    if (!isSafeModelId(parts.modelId)) {
      throw new GatewayError(
        'invalid_request',
        `model "${id.slice(0, 120)}" is not a valid model id: after provider/ use letters, digits and . _ - + : @, with / only between names`,
        { param: 'model' },
      );
    }
    const provider = registry.get(parts.providerId);
    if (!provider) {
      unknown.push(id);
      continue;
    }
    candidates.push({ id: `${parts.providerId}/${parts.modelId}`, provider, modelId: parts.modelId });
  }
  let result = candidates;
  if (options?.only?.length) {
    const only = new Set(options.only);
    result = result.filter((candidate) => only.has(candidate.provider.id));
  }
  if (options?.order?.length) {
    const rank = (candidate: Candidate) => {
      const index = options.order!.indexOf(candidate.provider.id);
      return index === -1 ? options.order!.length : index;
    };
    result = result
      .map((candidate, index) => ({ candidate, index }))
      .sort((a, b) => rank(a.candidate) - rank(b.candidate) || a.index - b.index)
      .map(({ candidate }) => candidate);
  }
  if (result.length === 0) {
    const configured = [...registry.keys()].join(', ') || 'none';
    const reason = unknown.length
      ? `no configured provider serves ${unknown.join(', ')} (configured providers: ${configured}); list models with GET /v1/models`
      : `no candidate is left after the only/order filters (providers: ${configured})`;
    throw new GatewayError('model_not_found', reason, { model });
  }
  return result;
}

/** A name without a provider, resolved (a 400 when it cannot be); a name with a slash as it is. */
function bareName(id: string, bare: BareNames | undefined): string {
  if (!bare || id.includes('/')) return id;
  return bare.resolve(id);
}
