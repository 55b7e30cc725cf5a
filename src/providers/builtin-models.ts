import type { ProviderKind } from '../config/schema.js';
import type { ModelType } from '../core/types.js';
import { mockModels } from './mock/models.js';

/** USD per million tokens (characters), per image, per request and per minute of audio, as config prices are written. */
export interface BuiltinPrice {
  input?: number;
  output?: number;
  image?: number;
  request?: number;
  characters?: number;
  audioMinute?: number;
}

/** A model a provider kind brings along: listed in the catalog and priced with no config and no price data. */
export interface BuiltinModel {
  /** Model id as the provider knows it. */
  modelId: string;
  type: ModelType;
  name: string;
  contextWindow?: number;
  maxTokens?: number;
  pricing: BuiltinPrice;
}

/** Kinds that bring their own models; the others' come from config and genai-prices. */
const builtinByKind: Partial<Record<ProviderKind, readonly BuiltinModel[]>> = {
  mock: mockModels,
};

export function builtinModels(kind: ProviderKind): readonly BuiltinModel[] {
  return builtinByKind[kind] ?? [];
}

export function builtinModel(kind: ProviderKind, modelId: string): BuiltinModel | undefined {
  return builtinByKind[kind]?.find((model) => model.modelId === modelId);
}
