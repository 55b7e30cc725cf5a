/**
 * OpenAI `POST /v1/embeddings`, `POST /v1/images/generations` and `GET /v1/models`.
 */
import { z } from 'zod';
import { countWords } from './answer.js';
import { openaiFamily } from './openai-family.js';
import type { Route } from './types.js';
import { bodyModel, json, nowSeconds, parseBody, withMessage } from './wire.js';
import { DEFAULT_DIMENSIONS, PNG_BASE64, embed, float32Base64, isValidDimensions } from './vectors.js';

const EmbeddingsBody = z.looseObject({
  model: z.string(),
  input: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))]),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  dimensions: z.number().nullish(),
});

/** Token arrays embed as their decimal text; each token counts as one input token. */
function inputs(input: z.infer<typeof EmbeddingsBody>['input']): { text: string; tokens: number }[] {
  if (typeof input === 'string') return [{ text: input, tokens: countWords(input) }];
  if (input.length > 0 && input.every((v) => typeof v === 'number')) {
    return [{ text: input.join(' '), tokens: input.length }];
  }
  return (input as (string | number[])[]).map((v) =>
    typeof v === 'string' ? { text: v, tokens: countWords(v) } : { text: v.join(' '), tokens: v.length },
  );
}

export const embeddingsRoute: Route = {
  method: 'POST',
  pattern: /^\/v1\/embeddings$/,
  family: openaiFamily,
  model: bodyModel,
  render(req, options) {
    const parsed = parseBody(EmbeddingsBody, req, openaiFamily);
    if (!parsed.ok) return parsed.reply;
    const body = parsed.value;
    const dimensions = body.dimensions ?? DEFAULT_DIMENSIONS;
    if (!isValidDimensions(dimensions)) {
      return json(withMessage(openaiFamily.errorBody(400, body.model), 'Invalid value for dimensions.'), 400);
    }
    const items = inputs(body.input);
    const tokens = options.usage?.inputTokens ?? items.reduce((sum, item) => sum + item.tokens, 0);
    return json({
      object: 'list',
      data: items.map((item, index) => {
        const vector = embed(item.text, dimensions);
        return { object: 'embedding', index, embedding: body.encoding_format === 'base64' ? float32Base64(vector) : vector };
      }),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  },
};

const ImagesBody = z.looseObject({
  model: z.string().nullish(),
  prompt: z.string(),
  n: z.number().int().min(1).max(10).nullish(),
});

export const imagesRoute: Route = {
  method: 'POST',
  pattern: /^\/v1\/images\/generations$/,
  family: openaiFamily,
  model: bodyModel,
  render(req, options) {
    const parsed = parseBody(ImagesBody, req, openaiFamily);
    if (!parsed.ok) return parsed.reply;
    const body = parsed.value;
    const model = body.model ?? 'dall-e-2';
    const n = body.n ?? 1;
    const data = Array.from({ length: n }, () =>
      model === 'dall-e-3' ? { b64_json: PNG_BASE64, revised_prompt: body.prompt } : { b64_json: PNG_BASE64 },
    );
    // Only the gpt-image models report token usage; the DALL·E models report none.
    if (!model.startsWith('gpt-image')) return json({ created: nowSeconds(), data });
    const input = options.usage?.inputTokens ?? countWords(body.prompt);
    const output = options.usage?.outputTokens ?? 16 * n;
    return json({
      created: nowSeconds(),
      data,
      usage: {
        input_tokens: input,
        input_tokens_details: { text_tokens: input, image_tokens: 0 },
        output_tokens: output,
        total_tokens: input + output,
      },
    });
  },
};

export const modelsRoute: Route = {
  method: 'GET',
  pattern: /^\/v1\/models$/,
  family: openaiFamily,
  model: () => undefined,
  render(_req, _options, context) {
    return json({
      object: 'list',
      data: context.knownModels.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'tollgate-test' })),
    });
  },
};
