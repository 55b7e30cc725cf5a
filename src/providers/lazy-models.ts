/**
 * Models whose AI SDK provider package is imported by their first call rather than at start-up.
 * The packages cost resident memory whether or not a request ever needs them, and the OpenAI
 * passthrough serves OpenAI-face chat without any of them. The core only calls a model's `do…`
 * methods, which are asynchronous anyway; the other members wait for the real model too, where
 * the specification lets them be promises.
 */
import type { EmbeddingModelV3, ImageModelV3, LanguageModelV3, RerankingModelV3, SpeechModelV3, TranscriptionModelV3 } from '@ai-sdk/provider';

/** Creates the real model, importing its provider package the first time. */
export type ModelLoader<M> = (modelId: string) => Promise<M>;

export type LazyModelClass<M> = new (providerId: string, modelId: string, load: ModelLoader<M>) => M;

abstract class LazyModel<M extends { readonly provider: string }> {
  readonly specificationVersion = 'v3';
  private model: M | undefined;
  private loading: Promise<M> | undefined;

  constructor(
    private readonly providerId: string,
    readonly modelId: string,
    private readonly load: ModelLoader<M>,
  ) {}

  /** The package's own name once loaded (it is for logs); the configured provider's id before. */
  get provider(): string {
    return this.model?.provider ?? this.providerId;
  }

  protected real(): Promise<M> {
    return (this.loading ??= this.load(this.modelId).then((model) => (this.model = model)));
  }
}

export class LazyLanguageModel extends LazyModel<LanguageModelV3> implements LanguageModelV3 {
  get supportedUrls() {
    return this.real().then((model) => model.supportedUrls);
  }
  async doGenerate(options: Parameters<LanguageModelV3['doGenerate']>[0]) {
    return (await this.real()).doGenerate(options);
  }
  async doStream(options: Parameters<LanguageModelV3['doStream']>[0]) {
    return (await this.real()).doStream(options);
  }
}

export class LazyEmbeddingModel extends LazyModel<EmbeddingModelV3> implements EmbeddingModelV3 {
  get maxEmbeddingsPerCall() {
    return this.real().then((model) => model.maxEmbeddingsPerCall);
  }
  get supportsParallelCalls() {
    return this.real().then((model) => model.supportsParallelCalls);
  }
  async doEmbed(options: Parameters<EmbeddingModelV3['doEmbed']>[0]) {
    return (await this.real()).doEmbed(options);
  }
}

export class LazyRerankingModel extends LazyModel<RerankingModelV3> implements RerankingModelV3 {
  async doRerank(options: Parameters<RerankingModelV3['doRerank']>[0]) {
    return (await this.real()).doRerank(options);
  }
}

export class LazyImageModel extends LazyModel<ImageModelV3> implements ImageModelV3 {
  // The specification's function form, the one that may answer with a promise.
  readonly maxImagesPerCall = async (options: { modelId: string }) => {
    const limit = (await this.real()).maxImagesPerCall;
    return typeof limit === 'function' ? limit(options) : limit;
  };
  async doGenerate(options: Parameters<ImageModelV3['doGenerate']>[0]) {
    return (await this.real()).doGenerate(options);
  }
}

export class LazySpeechModel extends LazyModel<SpeechModelV3> implements SpeechModelV3 {
  async doGenerate(options: Parameters<SpeechModelV3['doGenerate']>[0]) {
    return (await this.real()).doGenerate(options);
  }
}

export class LazyTranscriptionModel extends LazyModel<TranscriptionModelV3> implements TranscriptionModelV3 {
  async doGenerate(options: Parameters<TranscriptionModelV3['doGenerate']>[0]) {
    return (await this.real()).doGenerate(options);
  }
}
