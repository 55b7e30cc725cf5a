/**
 * Public types of the scriptable loopback upstream, and the small contract each wire format
 * (one file per provider) implements for the server.
 */

/**
 * Token counts to report instead of the defaults, in provider-neutral terms. Each wire format
 * maps them to its own fields (see README.md in this folder):
 * - `inputTokens`: all prompt tokens, cached ones included (OpenAI `prompt_tokens`, Gemini
 *   `promptTokenCount`; Anthropic `input_tokens` is this minus cache reads and writes).
 * - `outputTokens`: all generated tokens, reasoning included (OpenAI `completion_tokens`,
 *   Anthropic `output_tokens`; Gemini `candidatesTokenCount` is this minus reasoning).
 * - `cachedInputTokens`: prompt tokens read from cache.
 * - `cacheWriteTokens`: prompt tokens written to cache (Anthropic only).
 * - `reasoningTokens`: hidden reasoning tokens (OpenAI `reasoning_tokens`, Gemini
 *   `thoughtsTokenCount`).
 */
export interface UsageCounts {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

/** How the successful answer is shaped: its text and its reported token counts. */
export interface AnswerOptions {
  /** Answer this text instead of the default (`Echo: …`, `Tool said: …` or a tool call). */
  text?: string;
  /** Override some of the reported token counts. */
  usage?: Partial<UsageCounts>;
  /**
   * Finish with this reason, in the provider's own terms and sent as is: OpenAI
   * `finish_reason` (`length`, `content_filter`, …), Anthropic `stop_reason` (`max_tokens`,
   * `stop_sequence`, `refusal`, …), Gemini `finishReason` (`MAX_TOKENS`, `SAFETY`, …).
   * Default: the natural one for the answer (`stop`/`tool_calls`, `end_turn`/`tool_use`, `STOP`).
   */
  finishReason?: string;
  /** Arguments (JSON text) of every tool call in the answer, instead of `{"city":"Paris"}`. */
  toolArguments?: string;
  /**
   * Reasoning streamed before the answer: OpenAI-compatible streams carry it as
   * `delta.reasoning_content` (DeepSeek's and vLLM's field), in word pieces.
   */
  reasoning?: string;
}

/**
 * What the upstream does with one request. Streaming shapes (`cut`, `stall`, `streamError`, `malformed`, `truncated`, `unterminated`)
 * count events after the stream's preamble: the leading events that carry no content
 * (OpenAI's role chunk; Anthropic's `message_start`, `content_block_start` and `ping`; Gemini
 * has none). `afterEvents: 0` therefore acts before the first content token.
 */
export type Behavior =
  /** Answer normally (the default). */
  | ({ kind: 'ok' } & AnswerOptions)
  /** Shorthand for `{ kind: 'ok', text }`. */
  | { kind: 'text'; text: string; usage?: Partial<UsageCounts>; finishReason?: string }
  /** Shorthand for `{ kind: 'ok', usage }`. */
  | ({ kind: 'usage'; usage: Partial<UsageCounts> } & Omit<AnswerOptions, 'usage'>)
  /** Answer with an HTTP error; `body` defaults to the provider's real error shape for `status`. */
  | { kind: 'error'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Wait `ms` before sending headers, then do `then` (default `ok`). */
  | { kind: 'delay'; ms: number; then?: Behavior }
  /** Never answer (until the client gives up, the upstream closes, or `hangLimitMs` passes). */
  | { kind: 'hang' }
  /** Reset the TCP connection (RST) before any response byte. */
  | { kind: 'reset' }
  /**
   * Send the headers, the preamble and `afterEvents` more events, then destroy the socket.
   * On a JSON (non-stream) answer: send the headers and half the body, then destroy.
   */
  | ({ kind: 'cut'; afterEvents: number } & AnswerOptions)
  /**
   * Send the preamble and `afterEvents` more events, pause `ms` (or until `until` settles, when
   * given: a test that must not depend on timing holds the stall itself), then send the rest.
   * On a JSON answer: send the headers, pause, then the body.
   */
  | ({ kind: 'stall'; afterEvents: number; ms: number; until?: PromiseLike<unknown> } & AnswerOptions)
  /**
   * Send the preamble and `afterEvents` more events, then the provider's in-stream error event
   * for `status` (default: 529 Anthropic overloaded, otherwise 500) and end the stream.
   * On a JSON answer it behaves as `{ kind: 'error', status }`.
   */
  | ({ kind: 'streamError'; afterEvents: number; status?: number } & AnswerOptions)
  /**
   * Send the preamble and `afterEvents` more events, then one `data:` line whose payload is not
   * JSON, then the rest of the stream as usual.
   * On a JSON answer: status 200 with a body that is not JSON.
   */
  | ({ kind: 'malformed'; afterEvents: number } & AnswerOptions)
  /**
   * Send the preamble and `afterEvents` more events, then the next event with its JSON cut
   * short at a closing brace (so it still ends with `}` but does not parse), then the rest.
   * On a JSON answer: status 200 with the body cut the same way.
   */
  | ({ kind: 'truncated'; afterEvents: number } & AnswerOptions)
  /**
   * End the stream cleanly (the response ends; no error event, no reset) without its terminal
   * event: OpenAI's `data: [DONE]`, Anthropic's `message_stop`, Gemini's last response. With
   * `afterEvents`, stop after the preamble and that many events (never past the terminal one).
   * On a JSON answer it answers normally.
   */
  | ({ kind: 'unterminated'; afterEvents?: number } & AnswerOptions);

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1beta/models/gemini-2.5-flash:streamGenerateContent`. */
  path: string;
  /** Query string without `?` (`alt=sse`), or ''. */
  query: string;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Parsed JSON, the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
  /** The model the request names (body `model`, or the Gemini path), when it names one. */
  model?: string;
}

export interface StartOptions {
  /** Latency added before every response's headers (after auth). Default 0. */
  latencyMs?: number;
  /** A `hang` gives up and destroys the socket after this long. Default 120 000 ms. */
  hangLimitMs?: number;
  /** Models listed by the model-list endpoints besides every scripted model. */
  models?: string[];
  /**
   * The only API keys accepted. Any other key gets the provider's answer to a key it does not
   * know (OpenAI 401 `invalid_api_key`, Anthropic 401 `authentication_error`, Gemini 400
   * `API_KEY_INVALID`, Cohere 401 `invalid api token`). Default: any key.
   */
  apiKeys?: string[];
}

export interface StartedUpstream {
  /** e.g. `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  port: number;
  /** Every request received, in arrival order (recorded before auth and behaviors). */
  requests: RecordedRequest[];
  /**
   * Script one model's behavior. An array gives one behavior per successive request to that
   * model; the last one repeats. The model `'*'` applies to any model without its own script
   * (and to requests that name no model).
   */
  script(model: string, behavior: Behavior | Behavior[]): void;
  /** Clear the recorded requests and every script. */
  reset(): void;
  /** Close the server and destroy every open socket, hanging requests included. */
  close(): Promise<void>;
}

// ---- internal contract between the server and the wire formats ----

export type ProviderName = 'openai' | 'anthropic' | 'gemini' | 'cohere';

/** One request as a wire format sees it. */
export interface WireRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  /** Named groups of the route's pattern (e.g. `model` from a Gemini path). */
  params: Record<string, string>;
  /** The parts of a `multipart/form-data` body (OpenAI audio transcriptions). */
  form?: FormData;
}

/** One server-sent event; `content: false` marks preamble events (see `Behavior`). */
export interface SseEvent {
  event?: string;
  data: string;
  content: boolean;
}

export type Reply =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'sse'; events: SseEvent[]; headers?: Record<string, string> }
  /** Bytes as they are (audio, plain text); behaviors other than `error`, `delay` and `hang` send them whole. */
  | { kind: 'bytes'; status: number; body: Uint8Array; contentType: string };

/** What one provider family shares across its endpoints: auth, error shapes, SSE framing. */
export interface Family {
  name: ProviderName;
  /** Blank-line framing after each SSE event (`\n\n`, Gemini `\r\n\r\n`). */
  eventEnd: string;
  /** The provider's error reply when the request's credentials or required headers are missing. */
  authError(req: WireRequest): Reply | undefined;
  /** The key the request presents, where the provider reads it. */
  credential(req: WireRequest): string | undefined;
  /** The provider's reply to a key it does not know. */
  keyRejected(): Reply;
  /** The provider's real error body for an HTTP status. */
  errorBody(status: number, model: string | undefined): unknown;
  /** The provider's in-stream error event. */
  streamErrorEvent(status: number): SseEvent;
  /** Status used by `streamError` when none is given. */
  defaultStreamErrorStatus: number;
}

export interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  /** Tells apart routes that share a path (OpenAI's, Anthropic's and Cohere's `GET /v1/models`). */
  when?(req: WireRequest): boolean;
  family: Family;
  model(req: WireRequest): string | undefined;
  render(req: WireRequest, options: AnswerOptions, context: RenderContext): Reply;
}

export interface RenderContext {
  /** Every model the upstream knows (options.models plus scripted ones), for the model lists. */
  knownModels: string[];
}
