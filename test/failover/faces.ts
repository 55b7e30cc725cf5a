/**
 * The four streaming faces, each driven by its unmodified official client, behind one small
 * contract: send a prompt to a model (with fallbacks, streaming or not) and report what the
 * client saw. The failover scenarios run against every row of `FACES` (STYLE.md habit 10).
 *
 * Every call is bounded on the client side: a gateway that hangs fails the test with a
 * `ClientBoundExceeded` error instead of hanging it.
 */
import Anthropic from '@anthropic-ai/sdk';
import { createGateway } from '@ai-sdk/gateway';
import { generateText, streamText, type ModelMessage } from 'ai';
import OpenAI from 'openai';
import { expect } from 'vitest';

export type FaceName = 'openai-chat' | 'anthropic' | 'responses' | 'aisdk';

export interface AskOptions {
  model: string;
  /** `providerOptions.gateway.models`: the fallback models, in order. */
  fallbacks?: string[];
  stream: boolean;
  prompt?: string;
  headers?: Record<string, string>;
  /** Attach a short WAV file next to the text (a shape some provider packages refuse). */
  audio?: boolean;
  /** The client-side bound on the whole call, body or stream included. */
  boundMs?: number;
}

/** What the client saw, whatever its protocol. */
export interface Outcome {
  face: FaceName;
  /** A complete answer: no error, and the protocol's own end (finish reason, message_stop, response.completed). */
  ok: boolean;
  /** The text the client received, complete or not. */
  text: string;
  /** Set when the client saw an error, before or during the answer. */
  error?: {
    /** The HTTP status of an error response; undefined for an in-band stream error. */
    status: number | undefined;
    /** Tollgate's error kind, where the client exposes it (the AI SDK keeps only the type on HTTP errors). */
    code: string | undefined;
    message: string;
    /** The error came in-band, after the answer had started. */
    inBand: boolean;
  };
  /** The `x-tollgate-model` and `x-tollgate-attempts` headers, on a served answer. */
  servedModel?: string;
  attempts?: number;
  /** The model the answer's body names (each face puts the served model there). */
  bodyModel?: string;
}

export interface Face {
  name: FaceName;
  ask(options: AskOptions): Promise<Outcome>;
}

export class ClientBoundExceeded extends Error {
  constructor(face: FaceName, ms: number) {
    super(`${face}: the call did not finish within the client-side bound of ${ms} ms (the gateway hung)`);
    this.name = 'ClientBoundExceeded';
  }
}

const DEFAULT_BOUND_MS = 8_000;
// The AI SDK client logs the gateway's compatibility warnings to the console; they are noise here.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
/** 0.05 s of 8 kHz 8-bit mono silence. */
const WAV = wavSilence(400);

/** `providerOptions.gateway`: Tollgate's extension of each body, typed as nothing so the clients' types accept it. */
function gatewayOptions(fallbacks: string[] | undefined): object {
  return fallbacks?.length ? { providerOptions: { gateway: { models: fallbacks } } } : {};
}

/** Runs one client call under the bound; a bound that fires is a hang, reported as such. */
async function bounded(face: FaceName, options: AskOptions, call: (signal: AbortSignal) => Promise<Omit<Outcome, 'face'>>): Promise<Outcome> {
  const ms = options.boundMs ?? DEFAULT_BOUND_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new ClientBoundExceeded(face, ms)), ms);
  try {
    const outcome = await call(controller.signal);
    // The SDKs report their own abort as an API error: a call cut by the bound is a hang, whatever it returned.
    if (controller.signal.aborted) throw controller.signal.reason;
    return { face, ...outcome };
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function servedFrom(headers: Headers): Pick<Outcome, 'servedModel' | 'attempts'> {
  const servedModel = headers.get('x-tollgate-model') ?? undefined;
  const attempts = headers.get('x-tollgate-attempts');
  return { ...(servedModel ? { servedModel } : {}), ...(attempts ? { attempts: Number(attempts) } : {}) };
}

/** An error from the openai or Anthropic SDK, before or during the answer; anything else is rethrown. */
function sdkError(error: unknown, text: string): Outcome['error'] {
  if (error instanceof OpenAI.APIError) {
    return { status: error.status, code: error.code ?? undefined, message: error.message, inBand: error.status === undefined || text.length > 0 };
  }
  if (error instanceof Anthropic.APIError) {
    // The Anthropic face carries our error kind as `error.details.error_code`.
    const code = (error.error as { error?: { details?: { error_code?: string } } } | undefined)?.error?.details?.error_code;
    return { status: error.status, code, message: error.message, inBand: error.status === undefined || text.length > 0 };
  }
  throw error;
}

export function openaiChatFace(gatewayUrl: string): Face {
  const client = new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  return {
    name: 'openai-chat',
    ask: (options) =>
      bounded('openai-chat', options, async (signal) => {
        const prompt = options.prompt ?? 'hello there';
        const content: OpenAI.Chat.ChatCompletionContentPart[] = [{ type: 'text', text: prompt }];
        if (options.audio) content.push({ type: 'input_audio', input_audio: { data: WAV.toString('base64'), format: 'wav' } });
        const body = { model: options.model, messages: [{ role: 'user' as const, content: options.audio ? content : prompt }], ...gatewayOptions(options.fallbacks) };
        const request = { signal, ...(options.headers ? { headers: options.headers } : {}) };
        let text = '';
        try {
          if (!options.stream) {
            const { data, response } = await client.chat.completions.create(body, request).withResponse();
            text = data.choices[0]?.message.content ?? '';
            return { ok: data.choices[0]?.finish_reason != null, text, ...servedFrom(response.headers), bodyModel: data.model };
          }
          const { data: stream, response } = await client.chat.completions.create({ ...body, stream: true }, request).withResponse();
          const served = servedFrom(response.headers);
          let finished = false;
          let bodyModel: string | undefined;
          try {
            for await (const chunk of stream) {
              bodyModel ??= chunk.model;
              text += chunk.choices[0]?.delta.content ?? '';
              if (chunk.choices[0]?.finish_reason) finished = true;
            }
          } catch (error) {
            return { ok: false, text, error: sdkError(error, text), ...served };
          }
          return { ok: finished, text, ...served, ...(bodyModel ? { bodyModel } : {}) };
        } catch (error) {
          return { ok: false, text, error: sdkError(error, text) };
        }
      }),
  };
}

export function anthropicFace(gatewayUrl: string): Face {
  const client = new Anthropic({ baseURL: gatewayUrl, apiKey: 'unused', maxRetries: 0 });
  return {
    name: 'anthropic',
    ask: (options) =>
      bounded('anthropic', options, async (signal) => {
        const prompt = options.prompt ?? 'hello there';
        const content: Anthropic.ContentBlockParam[] = [{ type: 'text', text: prompt }];
        // Anthropic's API takes no audio; the face passes the file on, and the provider decides.
        if (options.audio) content.push({ type: 'document', source: { type: 'base64', media_type: 'audio/wav', data: WAV.toString('base64') } } as unknown as Anthropic.ContentBlockParam);
        const body = { model: options.model, max_tokens: 64, messages: [{ role: 'user' as const, content: options.audio ? content : prompt }], ...gatewayOptions(options.fallbacks) };
        const request = { signal, ...(options.headers ? { headers: options.headers } : {}) };
        let text = '';
        try {
          if (!options.stream) {
            const { data, response } = await client.messages.create(body, request).withResponse();
            text = data.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
            return { ok: data.stop_reason != null, text, ...servedFrom(response.headers), bodyModel: data.model };
          }
          const { data: stream, response } = await client.messages.create({ ...body, stream: true }, request).withResponse();
          const served = servedFrom(response.headers);
          let stopped = false;
          let bodyModel: string | undefined;
          try {
            for await (const event of stream) {
              if (event.type === 'message_start') bodyModel = event.message.model;
              if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
              if (event.type === 'message_stop') stopped = true;
            }
          } catch (error) {
            return { ok: false, text, error: sdkError(error, text), ...served };
          }
          return { ok: stopped, text, ...served, ...(bodyModel ? { bodyModel } : {}) };
        } catch (error) {
          return { ok: false, text, error: sdkError(error, text) };
        }
      }),
  };
}

export function responsesFace(gatewayUrl: string): Face {
  const client = new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  return {
    name: 'responses',
    ask: (options) =>
      bounded('responses', options, async (signal) => {
        const prompt = options.prompt ?? 'hello there';
        const input: OpenAI.Responses.ResponseInput | string = options.audio
          ? [
              {
                role: 'user',
                content: [
                  { type: 'input_text', text: prompt },
                  { type: 'input_file', filename: 'note.wav', file_data: `data:audio/wav;base64,${WAV.toString('base64')}` },
                ],
              },
            ]
          : prompt;
        const body = { model: options.model, input, ...gatewayOptions(options.fallbacks) };
        const request = { signal, ...(options.headers ? { headers: options.headers } : {}) };
        let text = '';
        try {
          if (!options.stream) {
            const { data, response } = await client.responses.create(body, request).withResponse();
            text = data.output_text;
            return { ok: data.status === 'completed', text, ...servedFrom(response.headers), bodyModel: data.model };
          }
          const { data: stream, response } = await client.responses.create({ ...body, stream: true }, request).withResponse();
          const served = servedFrom(response.headers);
          let ok = false;
          let bodyModel: string | undefined;
          try {
            for await (const event of stream) {
              if (event.type === 'response.created') bodyModel = event.response.model;
              if (event.type === 'response.output_text.delta') text += event.delta;
              if (event.type === 'response.completed') ok = true;
              if (event.type === 'response.failed') {
                const failure = event.response.error;
                return { ok: false, text, error: { status: undefined, code: failure?.code ?? undefined, message: failure?.message ?? 'response.failed', inBand: true }, ...served };
              }
            }
          } catch (error) {
            return { ok: false, text, error: sdkError(error, text), ...served };
          }
          return { ok, text, ...served, ...(bodyModel ? { bodyModel } : {}) };
        } catch (error) {
          return { ok: false, text, error: sdkError(error, text) };
        }
      }),
  };
}

/** The AI SDK's gateway provider, pointed at Tollgate (`createGateway({ baseURL: url + '/v3/ai' })`). */
export function aisdkFace(gatewayUrl: string): Face {
  const provider = createGateway({ baseURL: `${gatewayUrl}/v3/ai`, apiKey: 'unused' });
  return {
    name: 'aisdk',
    ask: (options) =>
      bounded('aisdk', options, async (signal) => {
        const prompt = options.prompt ?? 'hello there';
        const messages: ModelMessage[] = [
          {
            role: 'user',
            content: options.audio ? [{ type: 'text', text: prompt }, { type: 'file', data: WAV, mediaType: 'audio/wav' }] : prompt,
          },
        ];
        const common = {
          model: provider(options.model),
          messages,
          maxRetries: 0,
          abortSignal: signal,
          ...(options.fallbacks?.length ? { providerOptions: { gateway: { models: options.fallbacks } } } : {}),
          ...(options.headers ? { headers: options.headers } : {}),
        };
        if (!options.stream) {
          try {
            const result = await generateText(common);
            const routing = (result.providerMetadata?.gateway as { routing?: { canonicalSlug?: string } } | undefined)?.routing;
            return {
              ok: result.finishReason !== 'error',
              text: result.text,
              ...servedFrom(new Headers(result.response.headers as Record<string, string>)),
              ...(routing?.canonicalSlug ? { bodyModel: routing.canonicalSlug } : {}),
            };
          } catch (error) {
            if (signal.aborted) throw error;
            return { ok: false, text: '', error: aisdkError(error, false) };
          }
        }
        const result = streamText({ ...common, onError: () => undefined });
        let text = '';
        let failure: Outcome['error'];
        let finished = false;
        let bodyModel: string | undefined;
        for await (const part of result.fullStream) {
          if (part.type === 'text-delta') text += part.text;
          if (part.type === 'error' && !failure) failure = aisdkError(part.error, text.length > 0);
          if (part.type === 'finish') {
            finished = part.finishReason !== 'error';
          }
          if (part.type === 'finish-step') {
            bodyModel = (part.providerMetadata?.gateway as { routing?: { canonicalSlug?: string } } | undefined)?.routing?.canonicalSlug;
          }
        }
        if (signal.aborted) throw signal.reason;
        const served = failure && text.length === 0 ? {} : servedFrom(new Headers((await result.response).headers as Record<string, string>));
        return { ok: finished && !failure, text, ...(failure ? { error: failure } : {}), ...served, ...(bodyModel ? { bodyModel } : {}) };
      }),
  };
}

/** The AI SDK gateway client's errors: HTTP ones keep status and type; in-band ones keep our code too. */
function aisdkError(error: unknown, inBand: boolean): NonNullable<Outcome['error']> {
  const value = error as { statusCode?: number; code?: string; message?: string } | undefined;
  return {
    status: inBand ? undefined : value?.statusCode,
    code: value?.code,
    message: value?.message ?? String(error),
    inBand,
  };
}

/**
 * The client saw an error of Tollgate's kind `kind`. The AI SDK gateway client keeps only the
 * error's type and status of an HTTP error (not our code), so there the ledger speaks for it.
 */
export function expectKind(outcome: Outcome, kind: string): void {
  expect(outcome.error).toBeDefined();
  if (outcome.face === 'aisdk' && !outcome.error!.inBand) expect(outcome.error!.code).toBeUndefined();
  else expect(outcome.error!.code).toBe(kind);
}

export function allFaces(gatewayUrl: string): Face[] {
  return [openaiChatFace(gatewayUrl), anthropicFace(gatewayUrl), responsesFace(gatewayUrl), aisdkFace(gatewayUrl)];
}

/** Every face, streaming and not: the rows most scenarios run over. */
export const FACE_NAMES: FaceName[] = ['openai-chat', 'anthropic', 'responses', 'aisdk'];
export const MODES = [
  { mode: 'non-streaming', stream: false },
  { mode: 'streaming', stream: true },
] as const;
export const FACE_MODES = FACE_NAMES.flatMap((face) => MODES.map(({ mode, stream }) => ({ face, mode, stream })));

function wavSilence(samples: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + samples, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8_000, 24);
  header.writeUInt32LE(8_000, 28);
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  header.write('data', 36);
  header.writeUInt32LE(samples, 40);
  return Buffer.concat([header, Buffer.alloc(samples, 0x80)]);
}
