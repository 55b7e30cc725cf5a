/**
 * One loopback upstream and one gateway per test file, with the faces' clients pointed at it
 * and short timeouts so that every fault resolves in well under a second.
 */
import type { ConfigInput } from '../../src/config/schema.js';
import type { AttemptRow, RequestRow } from '../../src/store/types.js';
import { eventually, startGateway, type StartGatewayOptions, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { allFaces, type AskOptions, type Face, type FaceName, type Outcome } from './faces.js';

export interface Asked {
  outcome: Outcome;
  /** The ledger row this request wrote (streams settle as they end: waits for it). */
  row(check?: (row: RequestRow) => void): Promise<RequestRow>;
  /** Its attempts, in order. */
  attempts(): Promise<AttemptRow[]>;
}

export interface Rig {
  upstream: StartedUpstream;
  gateway: TestGateway;
  face(name: FaceName): Face;
  /** Asks through one face and keeps hold of the ledger row the request writes. */
  ask(face: FaceName, options: AskOptions): Promise<Asked>;
  /** Requests the upstream received for a model (its id without the provider prefix). */
  calls(modelId: string): number;
  close(): Promise<void>;
}

/** Timeouts of the primary provider: an attempt's deadline (first token for streams) and the longest silence mid-stream. */
export const PRIMARY_TIMEOUT_MS = 500;
export const IDLE_TIMEOUT_MS = 300;

/** USD per million tokens. */
export const PRICE = { input: 1, output: 2 };

/**
 * `up`: an OpenAI-compatible primary (the OpenAI face pipes to it, the others translate);
 * `claude`: an Anthropic primary (every face translates); both with short timeouts. `alt`: an
 * Anthropic fallback, patient. Each prices the models of `priced`.
 */
export function standardProviders(upstreamUrl: string, priced: string[] = []): NonNullable<ConfigInput['providers']> {
  const models = Object.fromEntries(priced.map((id) => [id, { pricing: PRICE }]));
  const fast = { timeoutMs: PRIMARY_TIMEOUT_MS, idleTimeoutMs: IDLE_TIMEOUT_MS, models };
  return {
    up: { kind: 'openai-compatible', baseURL: `${upstreamUrl}/v1`, apiKey: 'up-key', ...fast },
    claude: { kind: 'anthropic', baseURL: upstreamUrl, apiKey: 'claude-key', ...fast },
    alt: { kind: 'anthropic', baseURL: upstreamUrl, apiKey: 'alt-key', timeoutMs: 3_000, idleTimeoutMs: 2_000, models },
  };
}

export async function startRig(config: (upstreamUrl: string) => ConfigInput, options: StartGatewayOptions = {}): Promise<Rig> {
  // A hang ends by itself long before a test would time out, whatever happens to the gateway.
  const upstream = await startUpstream({ hangLimitMs: 10_000 });
  const gateway = await startGateway(config(upstream.url), options);
  const faces = new Map(allFaces(gateway.url).map((face) => [face.name, face]));
  return {
    upstream,
    gateway,
    face: (name) => faces.get(name)!,
    ask: async (name, options) => {
      const before = (await gateway.ledger.requests()).length;
      const outcome = await faces.get(name)!.ask(options);
      const row = (check?: (row: RequestRow) => void) =>
        eventually(async () => {
          const found = (await gateway.ledger.requests()).slice(before).find((candidate) => candidate.requestedModel === options.model);
          if (!found) throw new Error(`no ledger row for ${options.model} yet`);
          check?.(found);
          return found;
        });
      return { outcome, row, attempts: async () => gateway.ledger.attempts((await row()).id) };
    },
    calls: (modelId) => upstream.requests.filter((request) => request.model === modelId).length,
    close: async () => {
      await gateway.close();
      await upstream.close();
    },
  };
}
