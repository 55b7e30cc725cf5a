import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isNonPublicAddress } from '../http/fetch-file.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { Principal } from '../policy/types.js';
import type { Candidate } from './candidates.js';
import { GatewayError } from './errors.js';
import { redactorOf, type Redact } from './redact.js';
import type { ByokCredential } from './types.js';

const PARAM = 'providerOptions.gateway.byok';

export type Resolve = (host: string) => Promise<Array<{ address: string }>>;

const defaultResolve: Resolve = (host) => lookup(host, { all: true, verbatim: true });

/**
 * A request's own provider keys (`providerOptions.gateway.byok`, as on Vercel AI Gateway): the
 * candidates of a named provider are tried with each of the caller's keys in turn instead of the
 * configured ones. The keys live in this request only. A base URL the caller brings must reach a
 * public address, as the configured ones are the operator's choice and these are not.
 */
export class Byok {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly allowPrivateBaseURL: boolean,
    private readonly resolve: Resolve = defaultResolve,
  ) {}

  async apply(candidates: Candidate[], byok: Record<string, ByokCredential[]>, principal: Principal | undefined): Promise<Candidate[]> {
    if (principal?.limits.byok === false) {
      throw new GatewayError('forbidden', 'this key may not bring its own provider keys (providerOptions.gateway.byok); send the request without them', { param: PARAM });
    }
    for (const provider of Object.keys(byok)) {
      if (!this.registry.has(provider)) {
        throw new GatewayError('invalid_request', `${PARAM} names provider "${provider.slice(0, 60)}", which is not configured (configured: ${[...this.registry.keys()].join(', ')})`, {
          param: PARAM,
        });
      }
      for (const credential of byok[provider]!) if (credential.baseURL) await this.checkBaseURL(credential.baseURL);
    }
    return candidates.flatMap((candidate) => {
      const credentials = byok[candidate.provider.id];
      if (!credentials) return [candidate];
      return credentials.map((credential) => ({ ...candidate, provider: candidate.provider.withCredentials(credential) }));
    });
  }

  private async checkBaseURL(raw: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new GatewayError('invalid_request', `a base URL in ${PARAM} is not a valid URL`, { param: PARAM });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new GatewayError('invalid_request', `a base URL in ${PARAM} must be http or https`, { param: PARAM });
    if (url.username || url.password) throw new GatewayError('invalid_request', `a base URL in ${PARAM} must not carry credentials`, { param: PARAM });
    if (this.allowPrivateBaseURL) return;
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    let addresses: Array<{ address: string }>;
    try {
      addresses = isIP(host) ? [{ address: host }] : await this.resolve(host);
    } catch {
      throw new GatewayError('invalid_request', `the host of a base URL in ${PARAM} could not be resolved`, { param: PARAM });
    }
    if (addresses.length === 0 || addresses.some(({ address }) => isNonPublicAddress(address))) {
      throw new GatewayError(
        'invalid_request',
        `a base URL in ${PARAM} points at a private, loopback or link-local address (${host.slice(0, 100)}); a request's own base URL must be public`,
        { param: PARAM },
      );
    }
  }
}

/** Scrubs the request's own keys from upstream messages, then the configured secrets. */
export function withByokRedaction(redact: Redact, byok: Record<string, ByokCredential[]> | undefined): Redact {
  if (!byok) return redact;
  const keys = Object.values(byok).flatMap((credentials) => credentials.map((credential) => credential.apiKey)).filter((key) => key.length >= 6);
  if (keys.length === 0) return redact;
  const scrub = redactorOf(keys);
  return (text, maxLength) => redact(scrub(text), maxLength);
}
