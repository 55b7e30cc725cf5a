/**
 * One loopback upstream and one gateway per test file, with the faces' clients pointed at it
 * and short timeouts so that every fault resolves in well under a second.
 */
import type { ConfigInput } from '../../src/config/schema.js';
import { eventually, startGateway, type LedgerAttempt, type LedgerRequest, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { allFaces, type Face, type FaceName } from './faces.js';

export interface Rig {
  upstream: StartedUpstream;
  gateway: TestGateway;
  face(name: FaceName): Face;
  /** The ledger row of the latest request for `requestedModel` (streams settle as they end: waits for it). */
  row(requestedModel: string, check?: (row: LedgerRequest) => void): Promise<LedgerRequest>;
  attempts(row: LedgerRequest): LedgerAttempt[];
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
 * `up`: the OpenAI-compatible primary (the OpenAI face pipes to it, the others translate), with
 * short timeouts. `alt`: an Anthropic fallback, patient. Both price the models a test names in
 * `priced`.
 */
export function standardProviders(upstreamUrl: string, priced: { up?: string[]; alt?: string[] } = {}): NonNullable<ConfigInput['providers']> {
  const models = (ids: string[] = []) => Object.fromEntries(ids.map((id) => [id, { pricing: PRICE }]));
  return {
    up: {
      kind: 'openai-compatible',
      baseURL: `${upstreamUrl}/v1`,
      apiKey: 'up-key',
      timeoutMs: PRIMARY_TIMEOUT_MS,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      models: models(priced.up),
    },
    alt: { kind: 'anthropic', baseURL: upstreamUrl, apiKey: 'alt-key', timeoutMs: 3_000, idleTimeoutMs: 2_000, models: models(priced.alt) },
  };
}

export async function startRig(config: (upstreamUrl: string) => ConfigInput): Promise<Rig> {
  // A hang ends by itself long before a test would time out, whatever happens to the gateway.
  const upstream = await startUpstream({ hangLimitMs: 10_000 });
  const gateway = await startGateway(config(upstream.url));
  const faces = new Map(allFaces(gateway.url).map((face) => [face.name, face]));
  return {
    upstream,
    gateway,
    face: (name) => faces.get(name)!,
    row: (requestedModel, check) =>
      eventually(() => {
        const row = gateway.requests().filter((candidate) => candidate.requested_model === requestedModel).at(-1);
        if (!row) throw new Error(`no ledger row for ${requestedModel}`);
        check?.(row);
        return row;
      }),
    attempts: (row) => gateway.attempts(row.id),
    calls: (modelId) => upstream.requests.filter((request) => request.model === modelId).length,
    close: async () => {
      await gateway.close();
      await upstream.close();
    },
  };
}
