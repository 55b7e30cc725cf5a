import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';

/**
 * Images and audio the gateway keeps belong to the key that made them: any other key is told
 * they do not exist (404, or MCP's resource-not-found). They expire `server.mediaTtlMs` after they
 * were made (24 h by default): then they are not served, and the next sweep deletes them.
 */
const ADMIN_KEY = 'admin-media-5d20';
const HOUR = 3_600_000;
let now = new Date('2026-11-02T10:00:00.000Z');
let gateway: TestGateway;
let makerKey: string;
let otherKey: string;

beforeAll(async () => {
  gateway = await startGateway({}, { clock: () => now, env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } });
  makerKey = (await gateway.server.app.store.keys.create({ name: 'maker' })).key;
  otherKey = (await gateway.server.app.store.keys.create({ name: 'other' })).key;
});
afterAll(() => gateway?.close());

async function imageUrl(key: string): Promise<string> {
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 });
  const result = await client.images.generate({ model: 'mock/image', prompt: 'a lighthouse', response_format: 'url' });
  return result.data![0]!.url!;
}

async function fetchImage(url: string, key: string) {
  const response = await request(url, { headers: { authorization: `Bearer ${key}` } });
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, type: response.headers['content-type'], body };
}

async function mcpClient(key: string): Promise<Client> {
  const client = new Client({ name: 'media-owner', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

/** Whether the store still keeps the item, expired or not (`get` does not look at its age). */
async function kept(id: string): Promise<boolean> {
  return (await gateway.server.app.store.blobs.get(id)) !== undefined;
}

describe('kept images and audio', () => {
  it('an image URL answers its maker and the admin; any other key gets the same 404 as an unknown id', async () => {
    const url = await imageUrl(makerKey);
    const mine = await fetchImage(url, makerKey);
    expect(mine.status).toBe(200);
    expect(mine.type).toBe('image/png');
    expect((await fetchImage(url, ADMIN_KEY)).status).toBe(200);

    const theirs = await fetchImage(url, otherKey);
    const unknown = await fetchImage(`${gateway.url}/v1/images/00000000-0000-0000-0000-000000000000`, otherKey);
    expect(theirs.status).toBe(404);
    expect(JSON.parse(theirs.body.toString()).error).toMatchObject({ code: 'not_found' });
    expect(JSON.parse(theirs.body.toString()).error.message.replace(/no image \S+;/, '')).toBe(JSON.parse(unknown.body.toString()).error.message.replace(/no image \S+;/, ''));
  });

  it('over MCP, tollgate://images and tollgate://audio links and transcribe’s audio_uri work for the maker only', async () => {
    const maker = await mcpClient(makerKey);
    const other = await mcpClient(otherKey);
    try {
      const image = (await maker.callTool({ name: 'generate_image', arguments: { prompt: 'a harbour' } })) as CallToolResult;
      const imageUri = (image.content.find((block) => block.type === 'resource_link') as { uri: string }).uri;
      const spoken = (await maker.callTool({ name: 'speak', arguments: { text: 'for my ears only' } })) as CallToolResult;
      const audioUri = (spoken.structuredContent as { audio: { uri: string } }).audio.uri;

      expect((await maker.readResource({ uri: imageUri })).contents[0]).toMatchObject({ mimeType: 'image/png' });
      expect((await maker.readResource({ uri: audioUri })).contents[0]).toMatchObject({ mimeType: 'audio/wav' });
      expect((await maker.callTool({ name: 'transcribe', arguments: { audio_uri: audioUri } })).isError).toBeFalsy();

      await expect(other.readResource({ uri: imageUri })).rejects.toThrow(/No image/);
      await expect(other.readResource({ uri: audioUri })).rejects.toThrow(/No audio/);
      const stolen = (await other.callTool({ name: 'transcribe', arguments: { audio_uri: audioUri } })) as CallToolResult;
      expect(stolen.isError).toBe(true);
      expect(stolen._meta).toMatchObject({ 'tollgate/error': { kind: 'not_found' } });
    } finally {
      await maker.close();
      await other.close();
    }
  });

  it('expire 24 h after they were made: not served from then on, and deleted by the next sweep', async () => {
    const url = await imageUrl(makerKey);
    const id = decodeURIComponent(url.slice(url.lastIndexOf('/') + 1));
    now = new Date(now.getTime() + 24 * HOUR - 1_000);
    expect((await fetchImage(url, makerKey)).status).toBe(200);

    now = new Date(now.getTime() + 2_000);
    const expired = await fetchImage(url, makerKey);
    expect(expired.status).toBe(404);
    expect(JSON.parse(expired.body.toString()).error.message).toMatch(/kept for a limited time/);
    // Still on disk until a sweep: every image kept sweeps, and so does the server's timer.
    expect(await kept(id)).toBe(true);

    const fresh = await imageUrl(makerKey);
    const freshId = decodeURIComponent(fresh.slice(fresh.lastIndexOf('/') + 1));
    expect(await kept(id)).toBe(false);
    expect(await kept(freshId)).toBe(true);

    now = new Date(now.getTime() + 25 * HOUR);
    expect(await gateway.server.app.gateway.sweepMedia()).toBe(1);
    expect(await kept(freshId)).toBe(false);
  });
});

describe('server.mediaTtlMs', () => {
  it('sets how long media are kept', async () => {
    let clock = new Date('2026-11-02T10:00:00.000Z');
    const short = await startGateway({ server: { mediaTtlMs: 60_000 } }, { clock: () => clock });
    try {
      const client = new OpenAI({ baseURL: `${short.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const url = (await client.images.generate({ model: 'mock/image', prompt: 'brief', response_format: 'url' })).data![0]!.url!;
      const first = await request(url);
      expect(first.statusCode).toBe(200);
      expect(first.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
      await first.body.arrayBuffer();
      clock = new Date(clock.getTime() + 60_001);
      const later = await request(url);
      await later.body.text();
      expect(later.statusCode).toBe(404);
    } finally {
      await short.close();
    }
  });
});
