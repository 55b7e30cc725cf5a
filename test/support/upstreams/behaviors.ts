/**
 * Per-model scripts and the execution of one behavior against one HTTP exchange.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { AnswerOptions, Behavior, Family, Reply } from './types.js';
import { formatEvent } from './wire.js';

const WILDCARD = '*';
/** `delay` may wrap `delay`; more nesting than this is a scripting mistake. */
const MAX_DELAY_NESTING = 16;

export class Scripts {
  private readonly scripts = new Map<string, { list: Behavior[]; served: number }>();

  set(model: string, behavior: Behavior | Behavior[]): void {
    const list = Array.isArray(behavior) ? [...behavior] : [behavior];
    if (list.length === 0) throw new Error(`script(${model}): give at least one behavior`);
    this.scripts.set(model, { list, served: 0 });
  }

  models(): string[] {
    return [...this.scripts.keys()].filter((m) => m !== WILDCARD);
  }

  /** The next behavior for a model: its own script, else the `'*'` script, else `ok`. */
  next(model: string | undefined): Behavior {
    const script = (model !== undefined ? this.scripts.get(model) : undefined) ?? this.scripts.get(WILDCARD);
    if (!script) return { kind: 'ok' };
    const behavior = script.list[Math.min(script.served, script.list.length - 1)] as Behavior;
    script.served += 1;
    return behavior;
  }

  clear(): void {
    this.scripts.clear();
  }
}

/** Resolves true after `ms`, or false as soon as the signal aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleepFor(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** A stall's pause: until its `until` settles when it has one, else `ms`; false once the signal aborts. */
async function pause(stall: Extract<Behavior, { kind: 'stall' }>, signal: AbortSignal): Promise<boolean> {
  if (!stall.until) return sleep(stall.ms, signal);
  if (signal.aborted) return false;
  const aborted = new Promise<false>((resolve) => signal.addEventListener('abort', () => resolve(false), { once: true }));
  const held = Promise.resolve(stall.until).then(
    () => true,
    () => true,
  );
  return Promise.race([held, aborted]);
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  family: Family;
  model: string | undefined;
  /** Aborts when the client goes away or the upstream closes. */
  signal: AbortSignal;
  hangLimitMs: number;
  render(options: AnswerOptions): Reply;
}

/** Unwrap `delay`s (waiting as it goes) down to the behavior that answers. */
async function settle(behavior: Behavior, exchange: Exchange): Promise<Behavior | undefined> {
  let current = behavior;
  for (let depth = 0; current.kind === 'delay'; depth++) {
    if (depth >= MAX_DELAY_NESTING) throw new Error('delay nested too deeply');
    if (!(await sleep(current.ms, exchange.signal))) return undefined;
    current = current.then ?? { kind: 'ok' };
  }
  return current;
}

function answerOptions(behavior: Behavior): AnswerOptions {
  const options: AnswerOptions = {};
  if ('text' in behavior && behavior.text !== undefined) options.text = behavior.text;
  if ('usage' in behavior && behavior.usage !== undefined) options.usage = behavior.usage;
  if ('finishReason' in behavior && behavior.finishReason !== undefined) options.finishReason = behavior.finishReason;
  if ('toolArguments' in behavior && behavior.toolArguments !== undefined) options.toolArguments = behavior.toolArguments;
  if ('reasoning' in behavior && behavior.reasoning !== undefined) options.reasoning = behavior.reasoning;
  return options;
}

function destroy(exchange: Exchange): void {
  exchange.res.socket?.destroy();
  exchange.req.socket.destroy();
}

function sendJson(exchange: Exchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  exchange.res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  exchange.res.end(text);
}

export async function run(behavior: Behavior, exchange: Exchange): Promise<void> {
  const settled = await settle(behavior, exchange);
  if (!settled || exchange.signal.aborted) return;
  switch (settled.kind) {
    case 'hang':
      // Bounded: the socket goes away at the limit even if nobody closes the upstream.
      if (await sleep(exchange.hangLimitMs, exchange.signal)) destroy(exchange);
      return;
    case 'reset':
      exchange.req.socket.resetAndDestroy();
      return;
    case 'error':
      sendJson(exchange, settled.status, settled.body ?? exchange.family.errorBody(settled.status, exchange.model), settled.headers);
      return;
    default: {
      const reply = exchange.render(answerOptions(settled));
      if (reply.kind === 'json') await sendJsonReply(settled, reply, exchange);
      else if (reply.kind === 'bytes') sendBytes(reply, exchange);
      else await sendEvents(settled, reply, exchange);
    }
  }
}

function sendBytes(reply: Extract<Reply, { kind: 'bytes' }>, exchange: Exchange): void {
  exchange.res.writeHead(reply.status, { 'content-type': reply.contentType, 'content-length': reply.body.byteLength });
  exchange.res.end(reply.body);
}

async function sendJsonReply(behavior: Behavior, reply: Extract<Reply, { kind: 'json' }>, exchange: Exchange): Promise<void> {
  // Shapes only apply to successes; a validation error is sent whole.
  const shaped = reply.status < 400 ? behavior : ({ kind: 'ok' } as const);
  if (shaped.kind === 'streamError') {
    const status = shaped.status ?? exchange.family.defaultStreamErrorStatus;
    sendJson(exchange, status, exchange.family.errorBody(status, exchange.model));
    return;
  }
  if (shaped.kind === 'malformed') {
    sendJson(exchange, 200, MALFORMED, reply.headers);
    return;
  }
  if (shaped.kind === 'truncated') {
    sendJson(exchange, 200, truncate(JSON.stringify(reply.body)), reply.headers);
    return;
  }
  if (shaped.kind !== 'cut' && shaped.kind !== 'stall') {
    sendJson(exchange, reply.status, reply.body, reply.headers);
    return;
  }
  const text = JSON.stringify(reply.body);
  const { res } = exchange;
  res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...reply.headers });
  if (shaped.kind === 'cut') {
    res.write(text.slice(0, Math.floor(text.length / 2)), () => destroy(exchange));
    return;
  }
  res.flushHeaders();
  if (await pause(shaped, exchange.signal)) res.end(text);
}

async function sendEvents(behavior: Behavior, reply: Extract<Reply, { kind: 'sse' }>, exchange: Exchange): Promise<void> {
  const { res, family } = exchange;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...reply.headers,
  });
  res.flushHeaders();
  const preamble = reply.events.findIndex((e) => e.content);
  const firstContent = preamble === -1 ? reply.events.length : preamble;
  const shapeAt = shapeIndex(behavior, firstContent, reply.events.length);

  for (let i = 0; i <= reply.events.length; i++) {
    if (res.destroyed || exchange.signal.aborted) return;
    if (i === shapeAt) {
      if (behavior.kind === 'cut') {
        // Let what was written reach the client before the socket goes.
        res.write('', () => destroy(exchange));
        return;
      }
      if (behavior.kind === 'streamError') {
        const status = behavior.status ?? family.defaultStreamErrorStatus;
        res.end(formatEvent(family.streamErrorEvent(status), family.eventEnd));
        return;
      }
      if (behavior.kind === 'unterminated') {
        res.end();
        return;
      }
      if (behavior.kind === 'malformed') res.write(formatEvent({ data: MALFORMED, content: true }, family.eventEnd));
      if (behavior.kind === 'truncated') {
        const event = reply.events[i];
        if (event) res.write(formatEvent({ ...event, data: truncate(event.data) }, family.eventEnd));
        continue;
      }
      if (behavior.kind === 'stall' && !(await pause(behavior, exchange.signal))) return;
    }
    const event = reply.events[i];
    if (event) res.write(formatEvent(event, family.eventEnd));
  }
  res.end();
}

/** A payload no JSON parser accepts, as a broken upstream might send one. */
const MALFORMED = '{"choices": [ this is not json';

/** JSON cut short at its last closing brace but one: it still ends with `}`, and does not parse. */
function truncate(json: string): string {
  return json.slice(0, json.lastIndexOf('}', json.length - 2) + 1);
}

/** The index of the event a streaming shape acts at, or -1 when the behavior has none. */
function shapeIndex(behavior: Behavior, firstContent: number, total: number): number {
  switch (behavior.kind) {
    case 'cut':
    case 'stall':
    case 'streamError':
    case 'malformed':
    case 'truncated':
      return firstContent + Math.max(0, behavior.afterEvents);
    case 'unterminated': {
      // The terminal event is the last one; the stream ends before it whatever afterEvents says.
      const terminal = total - 1;
      return behavior.afterEvents === undefined ? terminal : Math.min(terminal, firstContent + Math.max(0, behavior.afterEvents));
    }
    default:
      return -1;
  }
}
