/**
 * Resources: the gateway's llms.txt, the model catalog (whole and per model, with completion of
 * model ids), generated images and spoken audio.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../core/types.js';
import { principalFrom } from './auth-info.js';
import { completeModelId } from './catalog-view.js';
import { AUDIO_URI_TEMPLATE } from './audio-uri.js';
import { IMAGE_URI_TEMPLATE } from './image-uri.js';

export const LLMS_TXT_URI = 'tollgate://llms.txt';
export const MODELS_URI = 'tollgate://models';
/** `{+id}`: model ids contain `/`, which reserved expansion matches and keeps unescaped. */
export const MODEL_URI_TEMPLATE = 'tollgate://models/{+id}';

/** The spec's code for an unknown resource (the SDK has no constant for it). */
const RESOURCE_NOT_FOUND = -32002;

export function registerResources(server: McpServer, gateway: Gateway, llmsTxt: string): void {
  server.registerResource(
    'llms.txt',
    LLMS_TXT_URI,
    {
      title: 'Tollgate guide for agents',
      description: 'What this gateway is, its tools, model ids and how spending works.',
      mimeType: 'text/plain',
    },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: llmsTxt }] }),
  );

  server.registerResource(
    'models',
    MODELS_URI,
    {
      title: 'Model catalog',
      description: 'Every model this gateway serves, with type, context window and prices (USD per token, as strings).',
      mimeType: 'application/json',
    },
    async (uri) => json(uri.href, await gateway.catalog()),
  );

  server.registerResource(
    'model',
    new ResourceTemplate(MODEL_URI_TEMPLATE, {
      // Listing every model as a resource would flood clients; the catalog resource lists them.
      list: undefined,
      complete: { id: async (value) => completeModelId(await gateway.catalog(), value) },
    }),
    {
      title: 'One model',
      description: 'Catalog entry of one model, e.g. tollgate://models/openai/gpt-4o-mini.',
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      const id = decodeURIComponent(String(variables.id));
      const entry = (await gateway.catalog()).find((model) => model.id === id);
      if (!entry) {
        throw new McpError(RESOURCE_NOT_FOUND, `No model ${id}; read ${MODELS_URI} or call list_models for the ids served here.`, {
          uri: uri.href,
        });
      }
      return json(uri.href, entry);
    },
  );

  server.registerResource(
    'image',
    new ResourceTemplate(IMAGE_URI_TEMPLATE, { list: undefined }),
    {
      title: 'Generated image',
      description: 'An image made by the generate_image tool, as a base64 blob.',
    },
    async (uri, variables, extra): Promise<ReadResourceResult> => {
      const id = decodeURIComponent(String(variables.id));
      const image = await gateway.getImage(id, principalFrom(extra.authInfo));
      if (!image) {
        throw new McpError(RESOURCE_NOT_FOUND, `No image ${id}; images are kept for a limited time, generate it again.`, {
          uri: uri.href,
        });
      }
      return {
        contents: [{ uri: uri.href, mimeType: image.mediaType, blob: Buffer.from(image.bytes).toString('base64') }],
      };
    },
  );

  server.registerResource(
    'audio',
    new ResourceTemplate(AUDIO_URI_TEMPLATE, { list: undefined }),
    {
      title: 'Spoken audio',
      description: 'Audio made by the speak tool, as a base64 blob.',
    },
    async (uri, variables, extra): Promise<ReadResourceResult> => {
      const id = decodeURIComponent(String(variables.id));
      // Audio shares the gateway's media store with images; only audio answers here.
      const audio = await gateway.getImage(id, principalFrom(extra.authInfo));
      if (!audio || !/^(audio|video)\//.test(audio.mediaType)) {
        throw new McpError(RESOURCE_NOT_FOUND, `No audio ${id}; audio is kept for a limited time, call speak again.`, { uri: uri.href });
      }
      return { contents: [{ uri: uri.href, mimeType: audio.mediaType, blob: Buffer.from(audio.bytes).toString('base64') }] };
    },
  );
}

function json(uri: string, value: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] };
}
