/**
 * The closed list of things the core tells about a request as it runs. Logs, metrics, traces
 * and the console's live view subscribe here instead of being threaded through the core.
 * Subscribers only watch: one that throws is logged and skipped, and never fails a request or
 * costs it its ledger row.
 */
import type { Logger } from 'pino';
import type { AttemptRow, RequestRow } from '../store/types.js';
import type { ErrorKind, TokenUsage } from './types.js';

export interface RequestReceived {
  requestId: string;
  face: RequestRow['face'];
  operation: RequestRow['operation'];
  stream: boolean;
  /** The model asked for. */
  model: string;
  keyId: string | null;
  keyName: string | null;
  user: string | null;
  /** The client's W3C `traceparent`, continued by tracing. */
  traceparent?: string;
}

export interface RequestAdmitted {
  requestId: string;
  /** The candidates admission let through, in the order they will be tried. */
  candidates: string[];
}

export interface RequestRefused {
  requestId: string;
  kind: ErrorKind;
}

export interface AttemptStarted {
  requestId: string;
  seq: number;
  model: string;
  provider: string;
  /**
   * Headers sent upstream with this attempt. Subscribers that propagate context (trace headers)
   * add theirs; nothing else may be put here.
   */
  upstreamHeaders: Record<string, string>;
}

export interface AttemptEnded {
  requestId: string;
  seq: number;
  model: string;
  provider: string;
  outcome: 'ok' | 'error' | 'cancelled';
  errorKind: ErrorKind | null;
  latencyMs: number;
  ttftMs: number | null;
  usage: TokenUsage | null;
  costNanos: number | null;
  /** The finish reasons the upstream gave, when known. */
  finishReasons?: string[];
}

export interface FirstToken {
  requestId: string;
  ttftMs: number;
}

export interface RequestSettled {
  request: RequestRow;
  attempts: AttemptRow[];
}

export interface RequestFailed {
  requestId: string;
  error: unknown;
}

export interface ToolStarted {
  /** One id per call, shared by its toolEnded. */
  callId: string;
  tool: string;
  keyId: string | null;
  keyName: string | null;
  /** The client's W3C `traceparent`, continued by tracing. */
  traceparent?: string;
  /**
   * Trace headers the gateway requests of this call carry. Subscribers that propagate context
   * add theirs; nothing else may be put here.
   */
  traceHeaders: Record<string, string>;
}

export interface ToolEnded {
  callId: string;
  tool: string;
  keyName: string | null;
  /** The tool answered with an error result. */
  isError: boolean;
  latencyMs: number;
}

export interface HookEvents {
  requestReceived: RequestReceived;
  admitted: RequestAdmitted;
  refused: RequestRefused;
  attemptStarted: AttemptStarted;
  attemptEnded: AttemptEnded;
  firstToken: FirstToken;
  settled: RequestSettled;
  error: RequestFailed;
  toolStarted: ToolStarted;
  toolEnded: ToolEnded;
}

export type HookName = keyof HookEvents;

export const HOOK_NAMES: readonly HookName[] = [
  'requestReceived',
  'admitted',
  'refused',
  'attemptStarted',
  'attemptEnded',
  'firstToken',
  'settled',
  'error',
  'toolStarted',
  'toolEnded',
];

const KNOWN = new Set<string>(HOOK_NAMES);

/** A subscriber: any subset of the hooks. */
export type HookSubscriber = { [Name in HookName]?: (event: HookEvents[Name]) => void };

type Listeners = { [Name in HookName]: Array<(event: HookEvents[Name]) => void> };

export class Hooks {
  private readonly listeners: Listeners = {
    requestReceived: [],
    admitted: [],
    refused: [],
    attemptStarted: [],
    attemptEnded: [],
    firstToken: [],
    settled: [],
    error: [],
    toolStarted: [],
    toolEnded: [],
  };

  constructor(private readonly logger: Pick<Logger, 'warn'>) {}

  /** Adds a listener; an unknown name is a programming error and throws. */
  on<Name extends HookName>(name: Name, listener: (event: HookEvents[Name]) => void): void {
    if (!KNOWN.has(name)) throw new TypeError(`unknown hook "${String(name)}"; hooks are: ${HOOK_NAMES.join(', ')}`);
    this.listeners[name].push(listener);
  }

  /** Adds every hook the subscriber has; its methods are called with the subscriber as `this`. */
  subscribe(subscriber: HookSubscriber): void {
    // A class instance's own keys are its state (fields such as a clock), not hooks: its hooks are its methods.
    const plain = Object.getPrototypeOf(subscriber) === Object.prototype || Object.getPrototypeOf(subscriber) === null;
    const names = plain ? Object.keys(subscriber) : HOOK_NAMES.filter((name) => typeof subscriber[name] === 'function');
    for (const name of names) {
      if (!KNOWN.has(name)) throw new TypeError(`unknown hook "${name}"; hooks are: ${HOOK_NAMES.join(', ')}`);
      const listener = subscriber[name as HookName];
      if (typeof listener === 'function') this.on(name as HookName, listener.bind(subscriber) as never);
    }
  }

  /** Whether anything listens: callers skip building an event no one reads. */
  has(name: HookName): boolean {
    return this.listeners[name].length > 0;
  }

  emit<Name extends HookName>(name: Name, event: HookEvents[Name]): void {
    const listeners = this.listeners[name];
    for (let index = 0; index < listeners.length; index++) {
      try {
        listeners[index]!(event);
      } catch (error) {
        this.logger.warn({ err: error, hook: name }, 'a hook subscriber failed; the request goes on');
      }
    }
  }
}

/** An AttemptEnded from the attempt's ledger row. */
export function attemptEndedOf(row: AttemptRow, outcome: AttemptEnded['outcome'] = row.status === 'ok' ? 'ok' : 'error', finishReasons?: string[]): AttemptEnded {
  return {
    requestId: row.requestId,
    seq: row.seq,
    model: row.model,
    provider: row.provider,
    outcome,
    errorKind: row.errorKind,
    latencyMs: row.latencyMs,
    ttftMs: row.ttftMs,
    usage: row.usage,
    costNanos: row.costNanos,
    ...(finishReasons ? { finishReasons } : {}),
  };
}
