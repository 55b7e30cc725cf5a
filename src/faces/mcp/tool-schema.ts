/**
 * The tools' input and output schemas as `tools/list` publishes them: lean, because every agent
 * conversation pays for that listing in tokens before it asks anything. The zod schemas still
 * validate in full; only what is written out is cut to what an agent needs to choose and call a
 * tool and to read its result.
 */
import { z } from 'zod';
import type { ModelType } from '../../core/types.js';

type JsonSchema = Record<string, unknown>;

/** A tool's arguments: every field and its description, without the noise zod writes out. */
export function toolInput<Shape extends z.ZodRawShape>(shape: Shape) {
  return publishedLean(z.object(shape), 'input');
}

/**
 * A tool's `structuredContent`: each field with its type, and a description where an agent needs
 * to know what the field holds. The result's text block carries the rest.
 */
export function toolOutput<Shape extends z.ZodRawShape>(shape: Shape) {
  return publishedLean(z.object(shape), 'output');
}

/**
 * zod merges a schema's metadata over the JSON Schema it generates (which is how the MCP SDK
 * writes `tools/list`), so metadata holding the lean form, with `undefined` for each key to drop,
 * publishes the lean form.
 */
function publishedLean<T extends z.ZodObject>(schema: T, io: 'input' | 'output'): T {
  const generated = z.toJSONSchema(schema, { target: 'draft-7', io }) as JsonSchema;
  const lean = io === 'input' ? leanInput(generated) : leanOutput(generated);
  return schema.meta(Object.fromEntries(Object.keys(generated).map((key) => [key, lean[key]]))) as T;
}

/** Bounds zod writes on every integer: the safe-integer range, which tells an agent nothing. */
const SAFE_INTEGER_BOUND = Number.MAX_SAFE_INTEGER;

/** Drops what says nothing an agent acts on; keeps every field, type, bound and description. */
export function leanInput(node: JsonSchema): JsonSchema {
  const lean: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'propertyNames') continue;
    // Closed objects and free-form records: strictness the server checks, nothing to act on.
    if (key === 'additionalProperties' && (value === false || isEmptyObject(value))) continue;
    if ((key === 'minimum' || key === 'maximum') && Math.abs(value as number) === SAFE_INTEGER_BOUND) continue;
    if (key === 'minLength' && value === 1) continue;
    if (key === 'properties') lean[key] = mapValues(value as Record<string, JsonSchema>, leanInput);
    else if (key === 'items') lean[key] = leanInput(value as JsonSchema);
    else if (key === 'anyOf') lean[key] = (value as JsonSchema[]).map(leanInput);
    else lean[key] = value;
  }
  return lean;
}

export function leanOutput(root: JsonSchema): JsonSchema {
  return { type: 'object', properties: mapValues(root.properties as Record<string, JsonSchema>, outputField) };
}

/** A result's field: its type (its types when it may be null) and its description. */
function outputField(node: JsonSchema): JsonSchema {
  const options = (node.anyOf ?? [node]) as JsonSchema[];
  const types = options.flatMap((option) => option.type ?? []);
  const field: JsonSchema = { type: types.length === 1 ? types[0] : types };
  if (node.description !== undefined) field.description = node.description;
  return field;
}

function mapValues(record: Record<string, JsonSchema>, map: (node: JsonSchema) => JsonSchema): Record<string, JsonSchema> {
  return Object.fromEntries(Object.entries(record).map(([name, node]) => [name, map(node)]));
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

/**
 * The `model` argument of a tool: defaulted when the operator configured a model of this kind,
 * else required, and the description says which.
 */
export function modelArgument(type: ModelType, defaultModel: string | undefined) {
  const model = z.string().min(1).describe(`list_models type=${type}${defaultModel ? '' : '; required: no default is set'}`);
  return defaultModel ? model.default(defaultModel) : model;
}

/** Builds a tool's schema once per default model: each session's server registers its tools again. */
export function oncePerDefault<T>(build: (defaultModel: string | undefined) => T): (defaultModel: string | undefined) => T {
  const built = new Map<string | undefined, T>();
  return (defaultModel) => {
    if (!built.has(defaultModel)) built.set(defaultModel, build(defaultModel));
    return built.get(defaultModel)!;
  };
}

/** A count in a result. */
export const count = z.number().int().nonnegative();

/** The fields every model-calling tool reports about who answered and what it cost. */
export const servedBy = {
  model: z.string(),
  provider: z.string(),
  cost_usd: z.number().nullable(),
};
