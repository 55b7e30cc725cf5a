/** The `generate_image` tool: images from a prompt, kept by the gateway and linked as resources. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Gateway, ImageResult } from '../../../core/types.js';
import { imageUri } from '../image-uri.js';
import { CostSchema, formatCost, modelCallAnnotations } from '../results.js';
import { toRequestContext } from '../request-context.js';
import { toolErrorResult } from '../tool-errors.js';

export const GenerateImageInputSchema = z.object({
  model: z
    .string()
    .min(1)
    .default('mock/image')
    .describe('Image model id as `provider/model` (list_models with type "image" shows them).'),
  prompt: z.string().min(1).describe('What the image should show.'),
  n: z.number().int().min(1).max(4).default(1).describe('How many images, 1 to 4.'),
  size: z
    .string()
    .regex(/^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$/, 'size must look like 1024x1024')
    .optional()
    .describe('WIDTHxHEIGHT in pixels, e.g. 1024x1024; the model default when absent.'),
});

export const GenerateImageOutputSchema = z.object({
  images: z.array(
    z.object({
      id: z.string(),
      uri: z.string().describe('Read this resource to get the image bytes.'),
      media_type: z.string(),
      bytes: z.number().int().nonnegative(),
    }),
  ),
  model: z.string(),
  provider: z.string(),
  cost_usd: CostSchema,
});
export type GenerateImageToolOutput = z.infer<typeof GenerateImageOutputSchema>;

/** Larger images are only linked: an inline preview that big would crowd the client's context. */
export const MAX_INLINE_IMAGE_BYTES = 256 * 1024;

const description = `Generate images from a text prompt with an image model through the Tollgate gateway.
Use it when the user wants a picture, illustration or visual draft.
Returns, for each image, a resource link (tollgate://images/{id}; read it to get the bytes) and, when small enough, an inline preview; structuredContent lists id, uri, media type and size. Costs money on paid models (usually per image).`;

export function registerGenerateImageTool(server: McpServer, gateway: Gateway): void {
  server.registerTool(
    'generate_image',
    {
      title: 'Generate images',
      description,
      inputSchema: GenerateImageInputSchema,
      outputSchema: GenerateImageOutputSchema,
      annotations: { title: 'Generate images', ...modelCallAnnotations },
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
