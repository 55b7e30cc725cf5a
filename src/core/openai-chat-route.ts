import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { chunkFacts, openaiChatEvents, openaiChatJson, wireOnlyEstimate, type OpenAIChatBody } from '../providers/passthrough/openai-chat.js';
import { isJsonObject } from '../providers/passthrough/json-object.js';
import { eventData } from '../providers/passthrough/sse-reader.js';
import { GatewayError } from './errors.js';
import { chatEstimate, maxOf } from './estimate/chat-estimate.js';
import type { RequestEstimate } from './estimate/request-estimate.js';
import { cutStreamUsage, withOutputCap } from './served-usage.js';
import { usageProblem } from './usage.js';
import type { GatewayImpl } from './gateway.js';
import type { Settler } from './settle.js';
import { followCommitted, readToCommit, type CommittedStream, type StreamItemFacts } from './stream-commit.js';
import type { Accounting, ChatRequest, ChatResult, ChatStream, GatewayOptions, RequestContext } from './types.js';
import { fromNanos } from './usage.js';

/** An OpenAI chat-completions request, as the OpenAI face hands it over. */
export interface OpenAIChatInput {
  /** The client's JSON body, validated by the face. */
  body: OpenAIChatBody;
  model: string;
  gateway?: GatewayOptions;
  stream: boolean;
  includeUsage: boolean;
  /** The same request in canonical form; built only when a candidate needs translation. */
  toCanonical(): ChatRequest;
  /** The face's in-band error event, sent when a stream breaks after its commit point. */
  streamErrorEvent(error: GatewayError): string;
}

export interface WireStream {
  requestId: string;
  servedModel: string;
  provider: string;
  attempts: number;
  /** Server-sent events in OpenAI's format, ready to write. */
  events: AsyncIterable<string>;
  settled: Promise<Accounting>;
}

export type OpenAIChatOutcome =
  | { kind: 'wire-json'; json: Record<string, unknown>; accounting: Accounting }
  | { kind: 'wire-stream'; stream: WireStream }
  | { kind: 'canonical'; result: ChatResult }
  | { kind: 'canonical-stream'; stream: ChatStream };

type Attempted =
  | { kind: 'wire-json'; json: Record<string, unknown>; usage: Accounting['usage'] | undefined }
  | { kind: 'wire-stream'; committed: CommittedStream<string> }
  | { kind: 'canonical'; value: Awaited<ReturnType<GatewayImpl['generateChat']>> }
  | { kind: 'canonical-stream'; committed: CommittedStream<LanguageModelV3StreamPart> };

function wireFacts(event: string): StreamItemFacts {
  const facts = chunkFacts(event);
  return {
    commit: facts.content,
    terminal: facts.done,
    text: facts.text,
    ...(facts.usage ? { usage: facts.usage } : {}),
    ...(facts.error ? { error: new GatewayError('upstream_server_error', facts.error) } : {}),
  };
}

const USAGE_OBJECT = /"usage"\s*:\s*\{/;
/** String fields that carry generated output: text, refusal, reasoning, tool-call names and arguments. */
const OUTPUT_TEXT = /"(?:content|refusal|reasoning_content|reasoning|name|arguments)"\s*:\s*"((?:[^"\\]|\\.)*)"/g;

/**
 * After the commit point most chunks only need to pass: parse in full just the rare ones that
 * carry usage or an error, or that are not exactly one JSON object (a truncated or garbled chunk
 * must end the stream in an error, not reach the client's JSON parser), and take the text of
 * the rest with a regex (it feeds only the usage estimate of a cut stream). The validity check
 * is one pass that builds nothing; JSON-parsing every chunk was a visible share of streaming CPU.
 */
function wireFactsAfterCommit(event: string): StreamItemFacts {
  const data = eventData(event);
  if (data === null) return { commit: false, terminal: false, text: '' };
  if (data === '[DONE]') return { commit: false, terminal: true, text: '' };
  if (!isJsonObject(data) || USAGE_OBJECT.test(data) || data.includes('"error"')) return wireFacts(event);
  return { commit: true, terminal: false, text: outputText(data) };
}

/** Every generated string of a chunk, still JSON-escaped: escapes only make the count larger. */
function outputText(data: string): string {
  let text = '';
  for (const match of data.matchAll(OUTPUT_TEXT)) text += match[1];
  return text;
}

/**
 * Routes an OpenAI-shaped request: candidates that speak OpenAI's wire format get the body
 * piped through as is (fast and faithful); others get the canonical request through their AI
 * SDK provider. Either way the router, fallback and ledger are the gateway's own.
 */
export class OpenAIChatRoute {
  constructor(
    private readonly gateway: GatewayImpl,
    private readonly settler: Settler,
  ) {}

  async run(input: OpenAIChatInput, context: RequestContext): Promise<OpenAIChatOutcome> {
    const meta = this.gateway.meta(context, 'chat', input.stream, input.model, input.gateway);
    let canonical: ChatRequest | undefined;
    const toCanonical = () => (canonical ??= input.toCanonical());
    const { value, attempt, failures } = await this.gateway.routed<Attempted>(
      meta,
      input.model,
      input.gateway,
      () => estimateOpenAIChat(toCanonical(), input.body),
      async (handle): Promise<Attempted> => {
        const { provider, modelId } = handle.candidate;
        if (provider.openaiWire) {
          const call = { provider, modelId, body: input.body, signal: handle.signal, outputCap: meta.admitted?.outputCap(handle.candidate) };
          if (!input.stream) {
            const { json, usage } = await openaiChatJson(call);
            return { kind: 'wire-json', json, usage };
          }
          const events = await openaiChatEvents(call);
          return { kind: 'wire-stream', committed: await readToCommit(events, wireFacts, meta.startedAt) };
        }
        const call = withOutputCap(toCanonical().call, meta, handle);
        if (!input.stream) return { kind: 'canonical', value: await this.gateway.generateChat(handle, call) };
        return { kind: 'canonical-stream', committed: await this.gateway.openChatStream(handle, call, meta.startedAt) };
      },
      input.stream,
    );

    switch (value.kind) {
      case 'wire-json':
        return { kind: 'wire-json', json: value.json, accounting: this.settler.success(meta, attempt, failures, { usage: value.usage, finishReasons: finishReasonsOf(value.json) }) };
      case 'canonical':
        return { kind: 'canonical', result: this.gateway.chatResult(meta, attempt, failures, value.value) };
      case 'canonical-stream':
        return { kind: 'canonical-stream', stream: this.gateway.followChatStream(meta, value.committed, attempt, failures) };
      case 'wire-stream': {
        this.gateway.hooks.emit('firstToken', { requestId: meta.requestId, ttftMs: value.committed.ttftMs });
        let resolveSettled!: (accounting: Accounting) => void;
        const settled = new Promise<Accounting>((resolve) => {
          resolveSettled = resolve;
        });
        const events = followCommitted(value.committed, wireFactsAfterCommit, {
          idleTimeoutMs: attempt.candidate.provider.config.idleTimeoutMs,
          cancel: () => attempt.abort(),
          ...(meta.context.signal ? { clientSignal: meta.context.signal } : {}),
          errorItem: (error) => input.streamErrorEvent(error),
          map: (event, facts) => {
            if (!facts.usage) return withSseFraming(event);
            const chunk = chunkFacts(event).parsed;
            const choices = chunk?.choices as unknown[] | undefined;
            // The usage-only chunk was asked for by us, not the client: drop it again.
            if (!input.includeUsage && (!choices || choices.length === 0)) return null;
            if (!chunk) return withSseFraming(event);
            // The cost the ledger will hold: of the worst case when the reported usage cannot be believed.
            const billed = usageProblem(facts.usage) === null ? facts.usage : meta.admitted?.worstCase(attempt.candidate).usage;
            const cost = billed ? fromNanos(this.settler.costNanos(attempt.candidate, billed)) : null;
            chunk.usage = { ...(chunk.usage as object), cost };
            chunk.provider = attempt.candidate.provider.id;
            return `data: ${JSON.stringify(chunk)}\n\n`;
          },
          onEnd: (end) => {
            attempt.release();
            const usage = end.usage ?? cutStreamUsage(meta, attempt, end.outputBytes);
            resolveSettled(
              this.settler.success(meta, attempt, failures, {
                usage,
                ttftMs: value.committed.ttftMs,
                status: end.status,
                errorKind: end.error?.kind ?? (end.status === 'cancelled' ? 'client_closed' : null),
              }),
            );
          },
        });
        return {
          kind: 'wire-stream',
          stream: {
            requestId: meta.requestId,
            servedModel: attempt.candidate.id,
            provider: attempt.candidate.provider.id,
            attempts: attempt.seq,
            events,
            settled,
          },
        };
      }
    }
  }
}

/** The canonical request's worst case, widened by what only the piped body carries. */
function estimateOpenAIChat(request: ChatRequest, body: OpenAIChatBody): RequestEstimate {
  const estimate = chatEstimate(request.call);
  const wire = wireOnlyEstimate(body);
  const cap = maxOf(estimate.maxOutputTokens, wire.outputCap);
  const extra = (estimate.extraOutputTokens ?? 0) + wire.extraOutputTokens;
  return {
    ...estimate,
    inputTokens: estimate.inputTokens + wire.inputTokens,
    ...(cap !== undefined ? { maxOutputTokens: cap } : {}),
    ...(extra > 0 ? { extraOutputTokens: extra } : {}),
  };
}

/** Upstream events come without their blank-line terminator; put it back on the way out. */
function withSseFraming(event: string): string {
  return event.endsWith('\n\n') ? event : `${event}\n\n`;
}

/** The finish reason of each choice of an OpenAI chat completion. */
function finishReasonsOf(json: Record<string, unknown>): string[] {
  const choices = Array.isArray(json.choices) ? (json.choices as Array<{ finish_reason?: unknown }>) : [];
  return choices.flatMap((choice) => (typeof choice?.finish_reason === 'string' ? [choice.finish_reason] : []));
}
