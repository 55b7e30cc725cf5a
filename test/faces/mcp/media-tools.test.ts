import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcpTestServer, textOf, type McpTestServer } from './helpers.js';

/** The `speak` and `transcribe` tools over Streamable HTTP, with the SDK's own client (which checks output schemas). */
let server: McpTestServer;
let client: Client;

beforeAll(async () => {
  server = await startMcpTestServer();
  ({ client } = await server.connect());
});

afterAll(async () => {
  await server?.close();
});

async function call(name: string, args: Record<string, unknown>) {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function errorKind(result: CallToolResult): string | undefined {
  return (result._meta?.['tollgate/error'] as { kind?: string } | undefined)?.kind;
}

describe('speak', () => {
  it('returns the audio inline and as a tollgate://audio link, with characters and cost, and no base64 in the text', async () => {
    const text = 'Good evening, agents.';
    const result = await call('speak', { text });
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as { audio: { id: string; uri: string; media_type: string; bytes: number }; characters: number; cost_usd: number };
    expect(structured).toMatchObject({ model: 'mock/speak', provider: 'mock', characters: text.length, audio: { media_type: 'audio/wav' } });
    expect(structured.audio.uri).toBe(`tollgate://audio/${structured.audio.id}`);
    expect(structured.cost_usd).toBeCloseTo((text.length * 15) / 1e6, 12);

    const audio = result.content.find((block) => block.type === 'audio');
    expect(audio).toMatchObject({ type: 'audio', mimeType: 'audio/wav' });
    expect(Buffer.from((audio as { data: string }).data, 'base64').toString('ascii', 0, 4)).toBe('RIFF');
    expect(result.content.find((block) => block.type === 'resource_link')).toMatchObject({ uri: structured.audio.uri, mimeType: 'audio/wav', size: structured.audio.bytes });
    expect(textOf(result)).toContain(structured.audio.uri);
    expect(textOf(result)).not.toMatch(/UklGR/); // "RIFF" in base64

    const read = await client.readResource({ uri: structured.audio.uri });
    expect(read.contents[0]).toMatchObject({ uri: structured.audio.uri, mimeType: 'audio/wav' });
    expect(Buffer.from((read.contents[0] as { blob: string }).blob, 'base64').byteLength).toBe(structured.audio.bytes);
  });

  it('links only, without inline audio, when the audio is large', async () => {
    // 4096 characters at 15 a second, speed 0.25: capped at a minute of 8 kHz audio (480 kB).
    const result = await call('speak', { text: 'a'.repeat(4096), speed: 0.25 });
    expect(result.isError).toBeFalsy();
    expect(result.content.some((block) => block.type === 'audio')).toBe(false);
    expect(result.content.some((block) => block.type === 'resource_link')).toBe(true);
  });

  it('answers an unknown model with isError and what to do next', async () => {
    const result = await call('speak', { model: 'nowhere/tts', text: 'hi' });
    expect(result.isError).toBe(true);
    expect(errorKind(result)).toBe('model_not_found');
    expect(textOf(result)).toMatch(/list_models/);
  });

  it('refuses a model that cannot speak', async () => {
    const result = await call('speak', { model: 'mock/echo', text: 'hi' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/list_models/);
  });

  it('refuses an out-of-range speed through the input schema', async () => {
    const result = await call('speak', { text: 'hi', speed: 9 });
    expect(result.isError).toBe(true);
  });

  it('reports an unknown audio resource as not found', async () => {
    await expect(client.readResource({ uri: 'tollgate://audio/no-such-id' })).rejects.toThrow(/No audio/);
  });
});

describe('transcribe', () => {
  it('hears back what speak said, from its tollgate://audio link, with duration and cost', async () => {
    const spoken = await call('speak', { text: 'the gateway listens' });
    const uri = (spoken.structuredContent as { audio: { uri: string } }).audio.uri;
    const result = await call('transcribe', { audio_uri: uri, language: 'en' });
    expect(result.isError).toBeFalsy();
    const seconds = Math.round((19 / 15) * 1000) / 1000;
    expect(result.structuredContent).toMatchObject({ text: 'the gateway listens', language: 'en', duration_seconds: seconds, model: 'mock/transcribe', provider: 'mock' });
    expect((result.structuredContent as { cost_usd: number }).cost_usd).toBeCloseTo((seconds / 60) * 0.006, 12);
    expect(textOf(result)).toContain('the gateway listens');
  });

  it('takes base64 audio with its media type, or sniffs the type from the bytes', async () => {
    const mp3 = Buffer.concat([Buffer.from('ID3'), Buffer.alloc(15_997)]).toString('base64');
    const sniffed = await call('transcribe', { audio_base64: mp3 });
    expect(sniffed.structuredContent).toMatchObject({ text: 'Transcribed 16000 bytes of audio/mpeg', duration_seconds: 1 });
    const declared = await call('transcribe', { audio_base64: Buffer.alloc(8_000).toString('base64'), media_type: 'audio/ogg' });
    expect(declared.structuredContent).toMatchObject({ text: 'Transcribed 8000 bytes of audio/ogg' });
  });

  it.each([
    ['neither audio_uri nor audio_base64', {}],
    ['both audio_uri and audio_base64', { audio_uri: 'tollgate://audio/x', audio_base64: 'AAAA' }],
  ])('refuses %s with guidance', async (_name, args) => {
    const result = await call('transcribe', args);
    expect(result.isError).toBe(true);
    expect(errorKind(result)).toBe('invalid_request');
    expect(textOf(result)).toMatch(/exactly one of audio_uri/);
  });

  it('refuses an unknown audio link, text that is not base64, and bytes of unknown format', async () => {
    const missing = await call('transcribe', { audio_uri: 'tollgate://audio/no-such-id' });
    expect(missing.isError).toBe(true);
    expect(errorKind(missing)).toBe('not_found');
    expect(textOf(missing)).toMatch(/speak again/);

    const garbled = await call('transcribe', { audio_base64: 'data:audio/wav;base64,AAAA' });
    expect(errorKind(garbled)).toBe('invalid_request');
    expect(textOf(garbled)).toMatch(/without a data: prefix/);

    const unknown = await call('transcribe', { audio_base64: Buffer.from('plain words').toString('base64') });
    expect(errorKind(unknown)).toBe('invalid_request');
    expect(textOf(unknown)).toMatch(/media_type/);
  });

  it('does not take an image as audio', async () => {
    const image = await call('generate_image', { prompt: 'not a sound' });
    const uri = (image.structuredContent as { images: Array<{ uri: string }> }).images[0]!.uri;
    const result = await call('transcribe', { audio_uri: uri });
    expect(errorKind(result)).toBe('not_found');
  });
});
