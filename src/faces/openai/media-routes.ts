/**
 * The OpenAI face's non-chat endpoints: rerank (Cohere's shape), image generation and the
 * images it keeps, speech and transcription. Each parses, calls the core and renders.
 */
import type { IncomingMessage } from 'node:http';
import type { GatewayCore } from '../../core/gateway.js';
import { GatewayError } from '../../core/errors.js';
import { readJsonBody, readBody } from '../../http/body.js';
import { parseFormData } from '../../http/form-data.js';
import { sendJson } from '../../http/respond.js';
import { type Route, withBodyUser } from '../../http/route.js';
import { parseImagesRequest, renderImages } from './images-api.js';
import { parseRerankRequest, renderRerank } from './rerank-api.js';
import { servedHeaders } from '../../http/served-headers.js';
import { parseSpeechRequest } from './speech-api.js';
import { parseTranscriptionForm, renderTranscription } from './transcription-api.js';

const IMAGES_PREFIX = '/v1/images/';

export function mediaRoutes(gateway: GatewayCore, options: { maxBodyBytes: number }): Route[] {
  const readJson = (req: IncomingMessage) => readJsonBody(req, options.maxBodyBytes);

  return [
    {
      method: 'POST',
      path: '/v1/rerank',
      handle: async (req, res, context) => {
        const converted = parseRerankRequest(await readJson(req));
        const rerankContext = withBodyUser(context, converted.user);
        const result = await gateway.rerank(converted.request, rerankContext);
        sendJson(res, 200, renderRerank(result, converted.request.documents, converted.returnDocuments), servedHeaders(result, rerankContext));
      },
    },
    {
      method: 'POST',
      path: '/v1/images/generations',
      handle: async (req, res, context) => {
        const converted = parseImagesRequest(await readJson(req));
        const imageContext = withBodyUser(context, converted.user);
        const result = await gateway.generateImage(converted.request, imageContext);
        const base = originOf(req);
        const body = renderImages(result, converted.responseFormat, (id) => `${base}${IMAGES_PREFIX}${encodeURIComponent(id)}`);
        sendJson(res, 200, body, servedHeaders(result, imageContext));
      },
    },
    {
      method: 'GET',
      prefix: IMAGES_PREFIX,
      handle: async (req, res, context) => {
        const id = decodeURIComponent((req.url ?? '').split('?')[0]!.slice(IMAGES_PREFIX.length));
        // Another caller's image is answered exactly as one that never existed.
        const image = id ? await gateway.getImage(id, context.principal) : undefined;
        if (!image || !image.mediaType.startsWith('image/')) {
          throw new GatewayError('not_found', `no image ${id}; images are kept for a limited time, generate it again`);
        }
        const maxAge = Math.max(0, Math.floor((Date.parse(image.expiresAt) - Date.now()) / 1000));
        res.writeHead(200, { 'content-type': image.mediaType, 'content-length': image.bytes.byteLength, 'cache-control': `private, max-age=${maxAge}` });
        res.end(image.bytes);
      },
    },
    {
      method: 'POST',
      path: '/v1/audio/speech',
      handle: async (req, res, context) => {
        const converted = parseSpeechRequest(await readJson(req));
        const speechContext = withBodyUser(context, converted.user);
        const result = await gateway.speech(converted.request, speechContext);
        res.writeHead(200, {
          ...servedHeaders(result, speechContext),
          'content-type': result.mediaType,
          'content-length': result.audio.byteLength,
          // The body is audio, so the cost rides in a header; absent when the model has no known price.
          ...(result.cost !== null ? { 'x-tollgate-cost': String(result.cost) } : {}),
          'x-tollgate-characters': String(result.characters),
        });
        res.end(result.audio);
      },
    },
    {
      method: 'POST',
      path: '/v1/audio/transcriptions',
      body: 'multipart',
      handle: async (req, res, context) => {
        const form = await parseFormData(req, await readBody(req, options.maxBodyBytes));
        const converted = await parseTranscriptionForm(form);
        const result = await gateway.transcribe(converted.request, context);
        const rendered = renderTranscription(result, converted.responseFormat);
        res.writeHead(200, {
          ...servedHeaders(result, context),
          'content-type': rendered.contentType,
          'content-length': Buffer.byteLength(rendered.body),
          ...(result.cost !== null ? { 'x-tollgate-cost': String(result.cost) } : {}),
        });
        res.end(rendered.body);
      },
    },
  ];
}

/** The gateway's own origin as the client reached it, for URLs that point back here. */
function originOf(req: IncomingMessage): string {
  const forwarded = req.headers['x-forwarded-proto'];
  const proto = typeof forwarded === 'string' && /^https?$/.test(forwarded) ? forwarded : 'http';
  return `${proto}://${req.headers.host ?? 'localhost'}`;
}
