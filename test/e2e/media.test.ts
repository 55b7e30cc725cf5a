import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { startGateway, type TestGateway, nanos } from '../support/gateway.js';

/**
 * Rerank, image generation, speech and transcription on the OpenAI-compatible face, driven by
 * the official `openai` client (and plain HTTP for Cohere-shaped rerank), against the mock
 * provider and loopback upstreams speaking OpenAI's and Cohere's wire formats.
 */
let upstream: StartedUpstream;
let gateway: TestGateway;
let client: OpenAI;

const MAX_BODY = 200_000;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway({
    mockPricing: true,
    server: { maxBodyBytes: MAX_BODY },
    routing: { retries: 0, backoffMs: 1, maxBackoffMs: 10 },
    providers: {
      oa: { kind: 'openai', baseURL: `${upstream.url}/v1`, apiKey: 'oa-key', models: { 'tts-1': { pricing: { characters: 15 } } } },
      co: { kind: 'cohere', baseURL: `${upstream.url}/v2`, apiKey: 'co-key' },
    },
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

beforeEach(() => upstream.reset());


async function post(path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(`${gateway.url}${path}`, { method: 'POST', headers, body: typeof body === 'string' || body instanceof FormData ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as Record<string, unknown> & { error?: { message: string; type: string; param: string | null; code: string } } };
}

/** Expects OpenAI's error shape with our kind as `code` and, when given, the parameter to fix. */
function expectError(res: Awaited<ReturnType<typeof post>>, status: number, code: string, param?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.json.error).toMatchObject({ code, message: expect.any(String), type: expect.any(String) });
  if (param !== undefined) expect(res.json.error!.param).toBe(param);
}

async function lastRow() {
  return (await gateway.ledger.requests()).at(-1)!;
}

describe('POST /v1/rerank (Cohere v2 shape)', () => {
  it('ranks with the mock, returns documents when asked, and bills one search', async () => {
    const res = await post('/v1/rerank', {
      model: 'mock/rerank',
      query: 'red apples',
      documents: ['green pears', { text: 'red apples and red cherries' }, 'apples'],
      top_n: 2,
      return_documents: true,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: expect.any(String),
      results: [
        { index: 1, relevance_score: 1, document: { text: 'red apples and red cherries' } },
        { index: 2, relevance_score: 0.5, document: { text: 'apples' } },
      ],
      meta: { billed_units: { search_units: 1 } },
      model: 'mock/rerank',
      provider: 'mock',
      usage: { cost: 0.001 },
    });
    expect(res.headers.get('x-tollgate-provider')).toBe('mock');
    expect(await lastRow()).toMatchObject({ id: res.json.id, face: 'openai', operation: 'rerank', provider: 'mock', status: 'ok', costNanos: nanos(0.001) });
  });

  it('routes to a Cohere provider, which answers in its own wire format; an unpriced model costs null', async () => {
    const res = await post('/v1/rerank', { model: 'co/rerank-v3.5', query: 'capital of france', documents: ['Paris is the capital of France', 'Berlin'] });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ results: [{ index: 0, relevance_score: 1 }, { index: 1, relevance_score: 0 }], provider: 'co', usage: { cost: null } });
    expect((res.json.results as Array<Record<string, unknown>>)[0]).not.toHaveProperty('document');
    const seen = upstream.requests.at(-1)!;
    expect(seen).toMatchObject({ path: '/v2/rerank', model: 'rerank-v3.5' });
    expect(seen.headers.authorization).toBe('Bearer co-key');
    expect(await lastRow()).toMatchObject({ operation: 'rerank', provider: 'co', servedModel: 'co/rerank-v3.5', costNanos: null });
  });

  it.each([
    ['no query', { model: 'mock/rerank', documents: ['a'] }, 'query'],
    ['an empty query', { model: 'mock/rerank', query: '', documents: ['a'] }, 'query'],
    ['no documents', { model: 'mock/rerank', query: 'q', documents: [] }, 'documents'],
    ['a document that is neither text nor {text}', { model: 'mock/rerank', query: 'q', documents: [42] }, 'documents[0]'],
    ['top_n of 0', { model: 'mock/rerank', query: 'q', documents: ['a'], top_n: 0 }, 'top_n'],
    ['no model', { query: 'q', documents: ['a'] }, 'model'],
    ['a model without provider', { model: 'rerank', query: 'q', documents: ['a'] }, 'model'],
  ])('refuses %s with a 400 naming the field', async (_name, body, param) => {
    expectError(await post('/v1/rerank', body), 400, 'invalid_request', param);
  });

  it('refuses a body that is not JSON, and an unknown provider with a 404', async () => {
    expectError(await post('/v1/rerank', '{not json'), 400, 'invalid_request');
    expectError(await post('/v1/rerank', { model: 'nope/rerank', query: 'q', documents: ['a'] }), 404, 'model_not_found');
  });
});

describe('POST /v1/images/generations', () => {
  it('returns base64 PNGs from the mock with usage.cost per image, stored and recorded', async () => {
    const response = await client.images.generate({ model: 'mock/image', prompt: 'a red square', n: 2, size: '256x256' });
    expect(response.data).toHaveLength(2);
    const png = Buffer.from(response.data![0]!.b64_json!, 'base64');
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(256);
    expect((response.usage as unknown as { cost: number }).cost).toBeCloseTo(0.02, 10);
    expect(await lastRow()).toMatchObject({ operation: 'image', provider: 'mock', requestedModel: 'mock/image', costNanos: nanos(0.02) });
  });

  it("answers response_format 'url' with gateway URLs that serve the image", async () => {
    const response = await client.images.generate({ model: 'mock/image', prompt: 'a blue square', response_format: 'url' });
    const url = response.data![0]!.url!;
    expect(url.startsWith(`${gateway.url}/v1/images/`)).toBe(true);
    const image = await fetch(url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await image.arrayBuffer()).subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  it('answers an unknown image id with a 404 in OpenAI shape', async () => {
    const res = await fetch(`${gateway.url}/v1/images/no-such-id`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('routes to an OpenAI upstream: priced from its token usage, or null when the model has no price', async () => {
    const priced = await client.images.generate({ model: 'oa/gpt-image-1', prompt: 'two words' });
    expect(Buffer.from(priced.data![0]!.b64_json!, 'base64').subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(upstream.requests.at(-1)).toMatchObject({ path: '/v1/images/generations', model: 'gpt-image-1' });
    // gpt-image-1 at genai-prices' $5/M input and $40/M output: 2 prompt words, 16 output tokens.
    expect((priced.usage as unknown as { cost: number }).cost).toBeCloseTo((2 * 5 + 16 * 40) / 1e6, 10);
    expect(await lastRow()).toMatchObject({ operation: 'image', provider: 'oa', usage: { input: 2, output: 16 }, costNanos: nanos((2 * 5 + 16 * 40) / 1e6) });

    const unpriced = await client.images.generate({ model: 'oa/dall-e-2', prompt: 'anything' });
    expect((unpriced.usage as unknown as { cost: number | null }).cost).toBeNull();
    expect(await lastRow()).toMatchObject({ operation: 'image', provider: 'oa', costNanos: null });
  });

  it.each([
    ['no prompt', { model: 'mock/image' }, 'prompt'],
    ['n of 0', { model: 'mock/image', prompt: 'p', n: 0 }, 'n'],
    ['n of 11', { model: 'mock/image', prompt: 'p', n: 11 }, 'n'],
    ['a malformed size', { model: 'mock/image', prompt: 'p', size: 'big' }, 'size'],
    ['an unknown response_format', { model: 'mock/image', prompt: 'p', response_format: 'png' }, 'response_format'],
    ['stream: true', { model: 'mock/image', prompt: 'p', stream: true }, 'stream'],
  ])('refuses %s with a 400 naming the field', async (_name, body, param) => {
    expectError(await post('/v1/images/generations', body), 400, 'invalid_request', param);
  });

  it('refuses a model that does not make images with a 404, recorded as a failed image request', async () => {
    expectError(await post('/v1/images/generations', { model: 'mock/echo', prompt: 'p' }), 404, 'model_not_found');
    expect(await lastRow()).toMatchObject({ operation: 'image', status: 'error', costNanos: null });
  });
});

describe('POST /v1/audio/speech', () => {
  it('speaks WAV with the mock, cost in a header and the ledger, per character', async () => {
    const input = 'Hello from Tollgate';
    const response = await client.audio.speech.create({ model: 'mock/speak', voice: 'alloy', input, response_format: 'wav' });
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(Number(response.headers.get('x-tollgate-cost'))).toBeCloseTo((input.length * 15) / 1e6, 12);
    expect(response.headers.get('x-tollgate-characters')).toBe(String(input.length));
    const wav = Buffer.from(await response.arrayBuffer());
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
    expect(await lastRow()).toMatchObject({ operation: 'speech', provider: 'mock', status: 'ok', usage: { input: 0 }, costNanos: input.length * 15_000 });
  });

  it('tells the truth about the format: the mock makes WAV even when mp3 is asked for', async () => {
    const response = await client.audio.speech.create({ model: 'mock/speak', voice: 'alloy', input: 'hi' });
    expect(response.headers.get('content-type')).toBe('audio/wav');
  });

  it('routes to an OpenAI upstream and returns its bytes with their type, priced per configured character', async () => {
    const response = await client.audio.speech.create({ model: 'oa/tts-1', voice: 'nova', input: 'good morning', speed: 1.5, instructions: 'cheerful' });
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 3).toString('latin1')).toBe('ID3');
    expect(bytes.subarray(10).toString('utf8')).toBe('tts-1|nova|good morning');
    expect(upstream.requests.at(-1)).toMatchObject({ path: '/v1/audio/speech', body: { model: 'tts-1', voice: 'nova', input: 'good morning', speed: 1.5, instructions: 'cheerful', response_format: 'mp3' } });
    expect(await lastRow()).toMatchObject({ operation: 'speech', provider: 'oa', costNanos: 12 * 15_000 });
  });

  it('records cost null (and sends no cost header) for a model priced only in tokens', async () => {
    const response = await client.audio.speech.create({ model: 'oa/gpt-4o-mini-tts', voice: 'coral', input: 'hi', response_format: 'flac' });
    expect(response.headers.get('content-type')).toBe('audio/flac');
    expect(response.headers.get('x-tollgate-cost')).toBeNull();
    expect(await lastRow()).toMatchObject({ operation: 'speech', provider: 'oa', status: 'ok', costNanos: null });
  });

  it.each([
    ['no input', { model: 'mock/speak', voice: 'alloy' }, 'input'],
    ['an empty input', { model: 'mock/speak', input: '' }, 'input'],
    ['an unknown response_format', { model: 'mock/speak', input: 'hi', response_format: 'ogg' }, 'response_format'],
    ['a speed above 4', { model: 'mock/speak', input: 'hi', speed: 5 }, 'speed'],
    ["stream_format 'sse'", { model: 'mock/speak', input: 'hi', stream_format: 'sse' }, 'stream_format'],
  ])('refuses %s with a 400 naming the field', async (_name, body, param) => {
    expectError(await post('/v1/audio/speech', body), 400, 'invalid_request', param);
  });

  it("uses the provider's default voice when none is given, and passes an upstream refusal on as a 400", async () => {
    expect((await post('/v1/audio/speech', { model: 'oa/tts-1', input: 'hi' })).status).toBe(200);
    expect(upstream.requests.at(-1)!.body).toMatchObject({ voice: 'alloy' });
    upstream.script('tts-1', { kind: 'error', status: 400 });
    expectError(await post('/v1/audio/speech', { model: 'oa/tts-1', input: 'hi', voice: 'x' }), 400, 'upstream_bad_request');
    expect(await lastRow()).toMatchObject({ operation: 'speech', status: 'error', errorKind: 'upstream_bad_request' });
  });
});

describe('POST /v1/audio/transcriptions', () => {
  it('hears back what the mock spoke (json), priced per minute of audio', async () => {
    const spoken = await client.audio.speech.create({ model: 'mock/speak', voice: 'alloy', input: 'the quick brown fox', response_format: 'wav' });
    const file = await toFile(Buffer.from(await spoken.arrayBuffer()), 'speech.wav');
    const transcription = await client.audio.transcriptions.create({ model: 'mock/transcribe', file });
    expect(transcription.text).toBe('the quick brown fox');
    // 19 characters at 15 a second.
    const seconds = Math.round((19 / 15) * 1000) / 1000;
    expect(transcription.usage).toMatchObject({ type: 'duration', seconds });
    expect((transcription.usage as unknown as { cost: number }).cost).toBeCloseTo((seconds / 60) * 0.006, 10);
    expect(await lastRow()).toMatchObject({ operation: 'transcription', provider: 'mock', status: 'ok', costNanos: nanos((seconds / 60) * 0.006) });
  });

  it('answers verbose_json, text, srt and vtt; the media type comes from the file name when the part has none', async () => {
    const file = await toFile(Buffer.alloc(32_000, 7), 'voice-note.mp3');
    const verbose = await client.audio.transcriptions.create({ model: 'mock/transcribe', file, response_format: 'verbose_json', language: 'de' });
    expect(verbose).toMatchObject({ text: 'Transcribed 32000 bytes of audio/mpeg', language: 'de', duration: 2, segments: [{ start: 0, end: 2 }] });
    const text = await client.audio.transcriptions.create({ model: 'mock/transcribe', file, response_format: 'text' });
    expect(text).toBe('Transcribed 32000 bytes of audio/mpeg');
    const srt = await client.audio.transcriptions.create({ model: 'mock/transcribe', file, response_format: 'srt' });
    expect(srt).toBe('1\n00:00:00,000 --> 00:00:02,000\nTranscribed 32000 bytes of audio/mpeg\n');
    const vtt = await client.audio.transcriptions.create({ model: 'mock/transcribe', file, response_format: 'vtt' });
    expect(vtt).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nTranscribed 32000 bytes of audio/mpeg\n');
  });

  it('routes to an OpenAI upstream as multipart; whisper is priced per minute from genai-prices', async () => {
    const file = await toFile(Buffer.alloc(48_000, 1), 'clip.wav', { type: 'audio/wav' });
    const transcription = await client.audio.transcriptions.create({ model: 'oa/whisper-1', file, language: 'en', prompt: 'Tollgate' });
    expect(transcription.text).toBe('Heard 48000 bytes of audio/wav');
    const seen = upstream.requests.at(-1)!;
    expect(seen).toMatchObject({ path: '/v1/audio/transcriptions', model: 'whisper-1' });
    expect(seen.headers.authorization).toBe('Bearer oa-key');
    expect(String(seen.body)).toContain('name="language"\r\n\r\nen');
    expect(String(seen.body)).toContain('name="prompt"\r\n\r\nTollgate');
    // 48 000 bytes at 16 000 a second: 3 s at $0.006 a minute.
    expect(await lastRow()).toMatchObject({ operation: 'transcription', provider: 'oa', costNanos: nanos((3 / 60) * 0.006) });
  });

  it('records token usage from a token-billed model and cost null: its audio-token price is not metered', async () => {
    const file = await toFile(Buffer.alloc(16_000, 1), 'clip.wav', { type: 'audio/wav' });
    const transcription = await client.audio.transcriptions.create({ model: 'oa/gpt-4o-transcribe', file });
    expect(transcription.usage).toMatchObject({ type: 'tokens', input_tokens: 10, output_tokens: 5, cost: null });
    expect(await lastRow()).toMatchObject({ operation: 'transcription', provider: 'oa', usage: { input: 10, output: 5 }, costNanos: null });
  });

  function form(parts: Record<string, string | Blob>, fileName = 'a.wav'): FormData {
    const data = new FormData();
    for (const [name, value] of Object.entries(parts)) {
      if (typeof value === 'string') data.append(name, value);
      else data.append(name, value, fileName);
    }
    return data;
  }
  const wavBlob = () => new Blob([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1')], { type: 'audio/wav' });

  it('refuses a JSON body with a 415 that says to send multipart/form-data', async () => {
    expectError(await post('/v1/audio/transcriptions', { model: 'mock/transcribe' }), 415, 'unsupported_media_type');
  });

  it.each([
    ['no file', () => form({ model: 'mock/transcribe' }), 'file'],
    ['a file sent as a text field', () => form({ model: 'mock/transcribe', file: 'not a file' }), 'file'],
    ['no model', () => form({ file: wavBlob() }), 'model'],
    ['an unknown response_format', () => form({ model: 'mock/transcribe', file: wavBlob(), response_format: 'xml' }), 'response_format'],
    ['a language that is not an ISO-639-1 code', () => form({ model: 'mock/transcribe', file: wavBlob(), language: 'English' }), 'language'],
    ['stream=true', () => form({ model: 'mock/transcribe', file: wavBlob(), stream: 'true' }), 'stream'],
    ['an empty file', () => form({ model: 'mock/transcribe', file: new Blob([]) }), 'file'],
    ['a file of unknown format', () => form({ model: 'mock/transcribe', file: new Blob(['hello']) }, 'notes.txt'), 'file'],
  ])('refuses %s with a 400 naming the field', async (_name, body, param) => {
    expectError(await post('/v1/audio/transcriptions', body(), {}), 400, 'invalid_request', param);
  });

  it('refuses a file over server.maxBodyBytes with a 413', async () => {
    const res = await post('/v1/audio/transcriptions', form({ model: 'mock/transcribe', file: new Blob([Buffer.alloc(MAX_BODY + 1)], { type: 'audio/wav' }) }), {});
    expectError(res, 413, 'payload_too_large');
  });

  it('refuses a multipart body whose boundary does not match', async () => {
    const res = await post('/v1/audio/transcriptions', '--x\r\ncontent-disposition: form-data; name="model"\r\n\r\nm\r\n--x--\r\n', {
      'content-type': 'multipart/form-data; boundary=y',
    });
    expectError(res, 400, 'invalid_request');
  });
});
