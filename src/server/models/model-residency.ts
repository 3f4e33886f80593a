import type { ResidencyHooks, ServedModel } from './served-model.ts';

export interface ResidencyLimits {
  /** Most models loaded on demand that may be in memory at once (`--max-loaded-models`); null: no limit. */
  maxLoadedModels: number | null;
  /** A model loaded on demand and unused this long is unloaded (`--model-idle-ttl`); null: kept. */
  idleTtlMs: number | null;
}

/**
 * Which local models sit in memory. Only models loaded on demand count: remote ones cost nothing
 * to keep, and a lone `--model` stays loaded. A model that is answering, queued or about to queue
 * is never unloaded; when every loaded model is, a load waits until one is free.
 */
export class ModelResidency implements ResidencyHooks {
  private models: readonly ServedModel[] = [];
  private waiting: Array<() => void> = [];

  constructor(
    readonly limits: ResidencyLimits,
    readonly now: () => number = Date.now,
  ) {
    if (limits.maxLoadedModels !== null && !(limits.maxLoadedModels >= 1)) throw new Error(`maxLoadedModels must be ≥ 1, got ${limits.maxLoadedModels}`);
  }

  watch(models: readonly ServedModel[]): void {
    this.models = models;
  }

  async makeRoomFor(model: ServedModel): Promise<void> {
    const limit = this.limits.maxLoadedModels;
    for (;;) {
      const resident = this.models.filter((other) => other !== model && other.holdsRoom);
      if (limit === null || resident.length < limit) {
        // Taken in the same step as the check, so two loads at once cannot both take the last place.
        model.holdsRoom = true;
        return;
      }
      const leastRecentlyUsed = resident
        .filter((other) => other.status === 'ready' && !other.busy)
        .sort((first, second) => first.lastUsedAt - second.lastUsedAt)[0];
      if (leastRecentlyUsed) {
        await leastRecentlyUsed.unload();
        continue;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  noteIdle(): void {
    for (const resume of this.waiting.splice(0)) resume();
  }

  /** Unloads every model idle for the time-to-live or longer; returns their ids. */
  async unloadIdle(): Promise<string[]> {
    const ttl = this.limits.idleTtlMs;
    if (ttl === null) return [];
    const now = this.now();
    const expired = this.models.filter((model) => model.onDemand && model.status === 'ready' && !model.busy && now - model.lastUsedAt >= ttl);
    const unloaded: string[] = [];
    for (const model of expired) if (await model.unload()) unloaded.push(model.id);
    return unloaded;
  }
}
