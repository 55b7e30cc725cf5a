/** The `generate_image` tool: images from a prompt, kept by the gateway and linked as resources. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Gateway, ImageResult } from '../../../core/types.js';
import { imageUri } from '../image-uri.js';
import { formatCost, modelCallAnnotations } from '../results.js';
import { count, modelArgument, oncePerDefault, servedBy, toolInput, toolOutput } from '../tool-schema.js';
import { toRequestContext } from '../request-context.js';
import { toolErrorResult } from '../tool-errors.js';

export const GenerateImageInputSchema = oncePerDefault((defaultModel) =>
  toolInput({
    model: modelArgument('image', defaultModel),
    prompt: z.string().min(1),
    n: z.number().int().min(1).max(4).default(1),
    size: z
      .string()
      .regex(/^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$/, 'size must look like 1024x1024')
      .optional()
      .describe('WIDTHxHEIGHT, e.g. 1024x1024.'),
  }),
);

export const GenerateImageOutputSchema = toolOutput({
  images: z.array(z.object({ id: z.string(), uri: z.string(), media_type: z.string(), bytes: count })).describe('Each {id, uri, media_type, bytes}.'),
  ...servedBy,
});
export type GenerateImageToolOutput = z.infer<typeof GenerateImageOutputSchema>;

/** Larger images are only linked: an inline preview that big would crowd the client's context. */
export const MAX_INLINE_IMAGE_BYTES = 256 * 1024;

const description = `Images from a text prompt. Returns a tollgate://images/{id} link per image (read it for the bytes), a small preview, and cost_usd.`;

export function registerGenerateImageTool(server: McpServer, gateway: Gateway, defaultModel: string | undefined): void {
  server.registerTool(
    'generate_image',
    {
      title: 'Generate images',
      description,
      inputSchema: GenerateImageInputSchema(defaultModel),
      outputSchema: GenerateImageOutputSchema,
      annotations: modelCallAnnotations,
    },
    async (input, extra): Promise<CallToolResult> => {
      try {
        const result = await gateway.generateImage(
          {
            model: input.model,
            prompt: input.prompt,
            n: input.n,
            size: input.size as `${number}x${number}` | undefined,
          },
          toRequestContext(extra),
        );
        return renderImages(result);
      } catch (error) {
        return toolErrorResult(error);
      }
    },
  );
}

export function renderImages(result: ImageResult): CallToolResult {
  const structured: GenerateImageToolOutput = {
    images: result.images.map((image) => ({
      id: image.id,
      uri: imageUri(image.id),
      media_type: image.mediaType,
      bytes: image.bytes.byteLength,
    })),
    model: result.servedModel,
    provider: result.provider,
    cost_usd: result.cost,
  };
  const content: CallToolResult['content'] = [];
  const listing = structured.images.map((image) => `${image.uri} (${image.media_type}, ${image.bytes} bytes)`);
  content.push({
    type: 'text',
    text: `Generated ${result.images.length} image${result.images.length === 1 ? '' : 's'} with ${result.servedModel}, ${formatCost(result.cost)}:\n${listing.join('\n')}`,
  });
  result.images.forEach((image, i) => {
    if (image.bytes.byteLength <= MAX_INLINE_IMAGE_BYTES) {
      content.push({ type: 'image', data: Buffer.from(image.bytes).toString('base64'), mimeType: image.mediaType });
    }
    content.push({
      type: 'resource_link',
      uri: structured.images[i].uri,
      name: `image-${image.id}`,
      title: `Generated image ${i + 1}`,
      mimeType: image.mediaType,
      size: image.bytes.byteLength,
    });
  });
  return { content, structuredContent: structured };
}
