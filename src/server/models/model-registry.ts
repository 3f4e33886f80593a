import { HttpProblem } from '../http-problem.ts';
import { ModelResidency, type ResidencyLimits } from './model-residency.ts';
import { ServedModel, type ModelSource, type ModelStatus } from './served-model.ts';

/** The models this server answers with, and which one answers when a request names none. */
export class ModelRegistry {
  readonly models: ServedModel[];
  readonly defaultModel: ServedModel;
  readonly residency: ModelResidency;

  constructor(sources: readonly ModelSource[], defaultModelId?: string, residency: ModelResidency = new ModelResidency({ maxLoadedModels: null, idleTtlMs: null })) {
    if (sources.length === 0) throw new Error('buildApp needs at least one model');
    this.residency = residency;
    this.models = sources.map((source) => new ServedModel(source, residency));
    residency.watch(this.models);
    const ids = new Set<string>();
    for (const model of this.models) {
      if (ids.has(model.id)) throw new Error(`two models share the id ${model.id}`);
      ids.add(model.id);
    }
    const chosen = defaultModelId === undefined ? this.models[0] : this.models.find((model) => model.id === defaultModelId);
    if (!chosen) throw new Error(`the default model ${defaultModelId} is not among the models`);
    this.defaultModel = chosen;
  }

  get limits(): ResidencyLimits {
    return this.residency.limits;
  }

  /**
   * The model a request names. With a single model, any name is accepted, because OpenAI clients
   * must send some `model` and TGI itself ignores it; with several, an unknown name is a 404.
   */
  resolve(modelId: string | null | undefined): ServedModel {
    if (!modelId) return this.defaultModel;
    const found = this.models.find((model) => model.id === modelId);
    if (found) return found;
    if (this.models.length === 1) return this.defaultModel;
    throw new HttpProblem(404, 'not-found', `no model named ${JSON.stringify(modelId)}; this server has ${this.models.map((model) => model.id).join(', ')}`, 'model');
  }

  /**
   * The server as a whole: ready when the default model is, failed when it failed. A model loaded
   * on demand and not in memory now counts as ready: it loads when asked.
   */
  overallStatus(): { status: Exclude<ModelStatus, 'unloaded'>; reason: string | null } {
    const model = this.defaultModel;
    if (model.status === 'ready' || model.status === 'unloaded') return { status: 'ready', reason: null };
    if (model.status === 'failed') return { status: 'failed', reason: `model ${model.id} failed to load: ${model.failure}` };
    if (model.onDemand) return { status: 'ready', reason: null };
    const progress = model.downloadProgress();
    const reason = progress
      ? `downloading model ${model.id}: ${progress.receivedBytes} of ${progress.totalBytes ?? '?'} bytes`
      : `loading model ${model.id}`;
    return { status: 'loading', reason };
  }

  /** Closes every model's backend (shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all(this.models.map((model) => model.close().catch(() => {})));
  }
}
