/**
 * The AI SDK gateway face: the wire protocol of `@ai-sdk/gateway` 3.x (ai@6, model spec v3), so
 * `createGateway({ baseURL: 'http://host:4100/v3/ai', apiKey })` works unmodified:
 *
 *   GET  /v3/ai/config                 the catalog (getAvailableModels)
 *   POST /v3/ai/language-model         V3 call options → V3 generate result, or an event stream of V3 parts
 *   POST /v3/ai/embedding-model        { values } → { embeddings, usage }
 *   POST /v3/ai/image-model            { prompt, n, size } → { images: base64[] }
 *   POST /v3/ai/reranking-model        { query, documents, topN } → { ranking }
 *   POST /v3/ai/speech-model           { text, voice, outputFormat } → { audio: base64 }
 *   POST /v3/ai/transcription-model    { audio: base64, mediaType } → { text, segments }
 *
 * The core speaks V3 already, so this face is nearly a pass-through: it undoes the JSON encoding
 * of file parts, fetches file URLs itself, takes `providerOptions.gateway` as routing options
 * and adds Tollgate's accounting to `providerMetadata.gateway`. Spec v2 (`/v1/ai`, ai@5) and
 * v4 (`/v4/ai`) are refused with a message naming the supported client line.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SharedV3Warning } from '@ai-sdk/provider';
import { GatewayError } from '../../core/errors.js';
import type { Gateway, RequestContext } from '../../core/types.js';
import { readJsonBody } from '../../http/body.js';
import { fetchFile } from '../../http/fetch-file.js';
import { refusalHeaders } from '../../http/rate-limit-headers.js';
import { drained, sendJson, startEventStream } from '../../http/respond.js';
import type { Route } from '../../http/route.js';
import { servedHeaders } from '../../http/served-headers.js';
import type { Config } from '../../config/schema.js';
import { parseDataUrl } from '../openai/data-url.js';
import { parseRequestBody } from '../openai/parse-request-body.js';
import { convertCallOptions } from './convert-call-options.js';
import { splitProviderOptions } from './convert-gateway-options.js';
import { accountingMetadata } from './gateway-metadata.js';
import { renderConfig } from './render-config.js';
import { renderGatewayError } from './render-error.js';
import { renderGenerateResult } from './render-generate-result.js';
import { formatEvent, renderStreamEvents } from './render-stream-parts.js';
import {
  EmbeddingModelBodySchema,
  ImageModelBodySchema,
  LanguageModelBodySchema,
  readModelHeaders,
  RerankingModelBodySchema,
  SpeechModelBodySchema,
  TranscriptionModelBodySchema,
  wantsStream,
} from './wire-api.js';

export const AISDK_BASE = '/v3/ai';

export interface AisdkGatewayOptions {
  maxBodyBytes: number;
  fileFetch: Config['server']['fileFetch'];
}

export function aisdkGatewayRoutes(gateway: Gateway, options: AisdkGatewayOptions): Route[] {
  const readJson = (req: IncomingMessage) => readJsonBody(req, options.maxBodyBytes);
  const route = (method: Route['method'], path: string, handle: Route['handle']): Route => ({
    method,
    path: `${AISDK_BASE}${path}`,
    face: 'aisdk',
    handle,
    renderError: renderAisdkGatewayFailure,
  });

  return [
    route('GET', '/config', async (_req, res) => {
      sendJson(res, 200, renderConfig(await gateway.catalog()));
    }),

    route('POST', '/language-model', async (req, res, context) => {
      const model = readModelHeaders(req.headers, 'language');
      const body = parseRequestBody(LanguageModelBodySchema, await readJson(req));
      const request = await convertCallOptions(model, body, (url) =>
        fetchFile(url, { ...options.fileFetch, ...(context.signal ? { signal: context.signal } : {}) }),
      );
      if (!wantsStream(req.headers)) {
        const result = await gateway.chat(request, context);
        sendJson(res, 200, renderGenerateResult(result, model), servedHeaders(result, context));
        return;
      }
      const stream = await gateway.chatStream(request, context);
      startEventStream(res, servedHeaders(stream, context));
      for await (const event of renderStreamEvents(stream, model)) {
        if (res.destroyed) break;
        if (!res.write(event)) await drained(res);
      }
      res.end();
    }),

    route('POST', '/embedding-model', async (req, res, context) => {
      const model = readModelHeaders(req.headers, 'embedding');
      const body = parseRequestBody(EmbeddingModelBodySchema, await readJson(req));
      const { gateway: routing, providerOptions } = splitProviderOptions(body.providerOptions);
      const dimensions = requestedDimensions(providerOptions);
      const result = await gateway.embed(
        { model, values: body.values, ...(dimensions ? { dimensions } : {}), ...(routing ? { gateway: routing } : {}) },
        context,
      );
      sendJson(
        res,
        200,
        { embeddings: result.embeddings, usage: { tokens: result.usage.input }, providerMetadata: accountingMetadata(result, model), warnings: [] },
        servedHeaders(result, context),
      );
    }),

    route('POST', '/image-model', async (req, res, context) => {
      const model = readModelHeaders(req.headers, 'image');
      const body = parseRequestBody(ImageModelBodySchema, await readJson(req));
      if (!body.prompt) throw new GatewayError('invalid_request', 'a prompt is required; image editing from files is not supported', { param: 'prompt' });
      const { gateway: routing } = splitProviderOptions(body.providerOptions);
      const warnings: SharedV3Warning[] = [];
      if (body.aspectRatio) warnings.push({ type: 'unsupported', feature: 'aspectRatio', details: 'use size (WIDTHxHEIGHT) instead' });
      if (body.seed != null) warnings.push({ type: 'unsupported', feature: 'seed' });
      if (body.files?.length || body.mask) warnings.push({ type: 'unsupported', feature: 'image editing', details: 'input files and masks are ignored' });
      const result = await gateway.generateImage(
        {
          model,
          prompt: body.prompt,
          n: body.n,
          ...(body.size ? { size: body.size as `${number}x${number}` } : {}),
          ...(routing ? { gateway: routing } : {}),
        },
        context,
      );
      sendJson(
        res,
        200,
        {
          images: result.images.map((image) => Buffer.from(image.bytes).toString('base64')),
          warnings,
          providerMetadata: accountingMetadata(result, model),
          usage: { inputTokens: result.usage.input, outputTokens: result.usage.output, totalTokens: result.usage.input + result.usage.output },
        },
        servedHeaders(result, context),
      );
    }),

    route('POST', '/reranking-model', async (req, res, context) => {
      const model = readModelHeaders(req.headers, 'reranking');
      const body = parseRequestBody(RerankingModelBodySchema, await readJson(req));
      const { gateway: routing } = splitProviderOptions(body.providerOptions);
      const documents = body.documents.type === 'text' ? body.documents.values : body.documents.values.map((value) => JSON.stringify(value));
      const result = await gateway.rerank(
        { model, query: body.query, documents, ...(body.topN ? { topN: body.topN } : {}), ...(routing ? { gateway: routing } : {}) },
        context,
      );
      sendJson(res, 200, { ranking: result.ranking, providerMetadata: accountingMetadata(result, model), warnings: [] }, servedHeaders(result, context));
    }),

    route('POST', '/speech-model', async (req, res, context) => {
      const model = readModelHeaders(req.headers, 'speech');
      const body = parseRequestBody(SpeechModelBodySchema, await readJson(req));
      const { gateway: routing } = splitProviderOptions(body.providerOptions);
      const result = await gateway.speech(
        {
          model,
          text: body.text,
          ...(body.voice ? { voice: body.voice } : {}),
          ...(body.outputFormat ? { format: body.outputFormat } : {}),
          ...(body.speed != null ? { speed: body.speed } : {}),
          ...(body.instructions ? { instructions: body.instructions } : {}),
          ...(routing ? { gateway: routing } : {}),
        },
        context,
      );
      const warnings: SharedV3Warning[] = [...result.warnings];
      if (body.language) warnings.push({ type: 'unsupported', feature: 'language' });
      sendJson(
        res,
        200,
        { audio: Buffer.from(result.audio).toString('base64'), warnings, providerMetadata: accountingMetadata(result, model) },
        servedHeaders(result, context),
      );
    }),

    route('POST', '/transcription-model', async (req, res, context) => {
      const model = readModelHeaders(req.headers, 'transcription');
      const body = parseRequestBody(TranscriptionModelBodySchema, await readJson(req));
      const { gateway: routing, providerOptions } = splitProviderOptions(body.providerOptions);
      const language = stringOption(providerOptions, 'language');
      const prompt = stringOption(providerOptions, 'prompt');
      const result = await gateway.transcribe(
        {
          model,
          audio: decodeAudio(body.audio),
          mediaType: body.mediaType,
          ...(language ? { language } : {}),
          ...(prompt ? { prompt } : {}),
          ...(routing ? { gateway: routing } : {}),
        },
        context,
      );
      sendJson(
        res,
        200,
        {
          text: result.text,
          segments: result.segments ?? [],
          language: result.language ?? null,
          durationInSeconds: result.durationSeconds ?? null,
          warnings: result.warnings,
          providerMetadata: accountingMetadata(result, model),
        },
        servedHeaders(result, context),
      );
    }),

    // Anything else under the base (video models, for one) is answered in the client's error shape.
    ...(['GET', 'POST'] as const).map(
      (method): Route => ({
        method,
        prefix: `${AISDK_BASE}/`,
        face: 'aisdk',
        renderError: renderAisdkGatewayFailure,
        handle: async (req) => {
          const path = (req.url ?? '').split('?')[0]!;
          throw new GatewayError('not_found', `${method} ${path.slice(0, 120)} is not served by Tollgate; see /llms.txt for the AI SDK gateway endpoints`);
        },
      }),
    ),
    // Other spec versions of the protocol: refused with a message that names the client line to use.
    ...(['/v1/ai/', '/v4/ai/'] as const).flatMap((prefix) =>
      (['GET', 'POST'] as const).map(
        (method): Route => ({
          method,
          prefix,
          face: 'aisdk',
          renderError: renderAisdkGatewayFailure,
          handle: async () => {
            throw new GatewayError(
              'invalid_request',
              `Tollgate speaks the AI SDK gateway protocol for model specification v3 only, at ${AISDK_BASE} (ai@6 with @ai-sdk/gateway 3.x); ${prefix.slice(0, -1)} (specification ${prefix === '/v1/ai/' ? 'v2, ai@5' : 'v4'}) is not supported`,
            );
          },
        }),
      ),
    ),
  ];
}

/** Renders any failure of this face: a JSON error before the response started, an error part after. */
export function renderAisdkGatewayFailure(res: ServerResponse, error: unknown, context: RequestContext): void {
  const rendered = renderGatewayError(error, context.requestId);
  if (!res.headersSent) {
    const limits = error instanceof GatewayError ? refusalHeaders(error.details) : {};
    sendJson(res, rendered.status, rendered.body, { ...rendered.headers, ...limits, ...(context.requestId ? { 'x-request-id': context.requestId } : {}) });
    return;
  }
  if (!res.destroyed) {
    res.write(formatEvent({ type: 'error', error: { ...rendered.body.error, statusCode: rendered.status } }));
    res.end();
  }
}

/** `dimensions` (OpenAI and most others) or `outputDimensionality` (Google) from any provider's options. */
function requestedDimensions(providerOptions: Record<string, Record<string, unknown>> | undefined): number | undefined {
  for (const options of Object.values(providerOptions ?? {})) {
    const value = options.dimensions ?? options.outputDimensionality;
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  }
  return undefined;
}

/** A string option (`language`, `prompt`) from any provider's options: providers name them alike. */
function stringOption(providerOptions: Record<string, Record<string, unknown>> | undefined, name: string): string | undefined {
  for (const options of Object.values(providerOptions ?? {})) {
    const value = options[name];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
}

/** V3 transcription audio as a string is base64; a `data:` URL is accepted too. */
function decodeAudio(audio: string): Uint8Array {
  const dataUrl = parseDataUrl(audio);
  const base64 = dataUrl ? dataUrl.base64 : audio;
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(base64)) {
    throw new GatewayError('invalid_request', 'audio must be base64 (or a data: URL); Tollgate does not fetch audio URLs', { param: 'audio' });
  }
  return new Uint8Array(Buffer.from(base64, 'base64'));
}
