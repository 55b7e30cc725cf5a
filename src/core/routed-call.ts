import type { GatewayError } from './errors.js';
import type { RequestEstimate } from './estimate/request-estimate.js';
import type { AttemptHandle } from './router.js';
import type { RequestMeta, ServedOutcome } from './settle.js';
import { followCommitted, type CommittedStream, type StreamEnd, type StreamItemFacts } from './stream-commit.js';
import type { Accounting, GatewayOptions } from './types.js';
import type { TokenUsage } from './types.js';

/**
 * One routed call whose wire the caller owns. The core admits it against the estimate, runs the
 * attempts with retry and fallback, reads the usage facts of the answer and settles it; the
 * caller says how one attempt calls a candidate and what its answer's items mean. Every
 * operation of every face goes through it.
 */
export interface RoutedCall<V> {
  operation: RequestMeta['operation'];
  /** `provider/model`, or a model group, as the client asked. */
  model: string;
  gateway?: GatewayOptions | undefined;
  stream: boolean;
  /** The request's worst case, for budget holds and rate limits; called at most once. */
  estimate(): RequestEstimate;
  /** One attempt on `attempt.candidate`; a throw is classified and may be retried or fall back. */
  attempt(attempt: CallAttempt): Promise<CallAnswer<V>>;
}

/** An attempt as the caller sees it. */
export interface CallAttempt extends AttemptHandle {
  /** The output cap admission holds for this candidate when the request set none: send it upstream. */
  outputCap: number | undefined;
  /** When the request arrived (performance.now()), which the time to first token counts from. */
  requestStartedAt: number;
}

/** A whole answer, with what the upstream reported it used. */
export interface WholeAnswer<V> {
  kind: 'whole';
  value: V;
  served: ServedOutcome;
}

/** A stream read up to its commit point; `follow` lets the core take it from there. */
export interface StreamAnswer<V> {
  kind: 'stream';
  ttftMs: number;
  follow(core: FollowHooks): V;
}

export type CallAnswer<V> = WholeAnswer<V> | StreamAnswer<V>;

/** What the core adds to a stream past its commit point: the idle cut, cancellation, and settling at its end. */
export interface FollowHooks {
  idleTimeoutMs: number | undefined;
  cancel(): void;
  clientSignal: AbortSignal | undefined;
  onEnd(end: StreamEnd): void;
  /** USD the ledger will hold for this usage (the worst case when the usage cannot be believed); null when unpriced. */
  costOf(usage: TokenUsage): number | null;
}

/** What the items of one stream format mean. */
export interface StreamRules<I> {
  /** Facts of an item past the commit point. */
  facts(item: I): StreamItemFacts;
  /** The in-band error item a stream broken past its commit point ends with. */
  errorItem(error: GatewayError): I;
  /** Rewrites an item on its way out; null drops it. */
  map?(item: I, facts: StreamItemFacts, costOf: FollowHooks['costOf']): I | null;
}

/** A stream answer whose followed items `wrap` turns into the caller's value. */
export function streamAnswer<I, V>(committed: CommittedStream<I>, rules: StreamRules<I>, wrap: (items: AsyncGenerator<I>) => V): StreamAnswer<V> {
  return {
    kind: 'stream',
    ttftMs: committed.ttftMs,
    follow: (core) => {
      const map = rules.map;
      return wrap(
        followCommitted(committed, rules.facts, {
          errorItem: rules.errorItem,
          onEnd: core.onEnd,
          cancel: core.cancel,
          ...(core.idleTimeoutMs ? { idleTimeoutMs: core.idleTimeoutMs } : {}),
          ...(core.clientSignal ? { clientSignal: core.clientSignal } : {}),
          ...(map ? { map: (item: I, facts: StreamItemFacts) => map(item, facts, core.costOf) } : {}),
        }),
      );
    },
  };
}

/** The served call: a whole answer with its accounting, or a stream whose accounting comes at its end. */
export type RoutedOutcome<V> =
  | { kind: 'whole'; value: V; accounting: Accounting }
  | { kind: 'stream'; value: V; stream: ServedStream };

export interface ServedStream {
  requestId: string;
  servedModel: string;
  provider: string;
  attempts: number;
  /** Resolves once the ledger row is written. */
  settled: Promise<Accounting>;
}
