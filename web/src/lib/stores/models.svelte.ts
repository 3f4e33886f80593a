import { apiClient } from '../services/api-client.ts';
import type { ModelDescription } from '../types/api.ts';
import { session } from './session.svelte.ts';

/** The models the server offers (`GET /api/models`); polled while one is still loading. */
class ModelsStore {
  models = $state.raw<ModelDescription[]>([]);
  defaultModelId = $state<string | null>(null);
  #pollTimer: ReturnType<typeof setTimeout> | undefined;

  async refresh(): Promise<void> {
    clearTimeout(this.#pollTimer);
    try {
      const result = await apiClient.models();
      this.models = result.models;
      this.defaultModelId = result.defaultModelId;
    } catch (error) {
      session.noteError(error);
    }
    if (this.models.some((model) => model.status === 'loading')) {
      this.#pollTimer = setTimeout(() => void this.refresh(), 2000);
    }
  }

  /**
   * Follows a model that a request is about to load (one loaded on demand): its state is read
   * every half second until it is ready or failed, so the page shows the load's progress.
   */
  followLoad(modelId: string | undefined): void {
    const model = this.find(modelId);
    if (!model || model.status === 'ready' || model.status === 'failed') return;
    clearTimeout(this.#followTimer);
    const check = async () => {
      await this.refresh();
      const now = this.find(modelId);
      if (now && now.status !== 'ready' && now.status !== 'failed') this.#followTimer = setTimeout(() => void check(), 500);
    };
    this.#followTimer = setTimeout(() => void check(), 200);
  }

  #followTimer: ReturnType<typeof setTimeout> | undefined;

  find(modelId: string | undefined): ModelDescription | undefined {
    return this.models.find((model) => model.id === (modelId ?? this.defaultModelId));
  }
}

export const models = new ModelsStore();
