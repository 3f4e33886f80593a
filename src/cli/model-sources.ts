import type { Backend, BackendName } from '../backends/backend.ts';
import { createBackend } from '../backends/create-backend.ts';
import type { DownloadProgress, ModelSource } from '../server/models/served-model.ts';
import type { ConfiguredModels } from './configured-models.ts';

export interface ModelSourceHooks {
  /** Requests that may wait for each model, unless its entry says (`--max-queue`). */
  maxQueue: number;
  onDownloadProgress?: (progress: DownloadProgress) => void;
  downloadProgress?: () => DownloadProgress | null;
  onLoading?: (id: string) => void;
  onReady?: (id: string, backend: BackendName) => void;
  /** `loadedAtStart`: a model loaded with the server, not on demand (whose failure a request reports). */
  onFailed?: (id: string, error: unknown, loadedAtStart: boolean) => void;
}

/** Default sequences at once: the embedded engine's own default, or a generous share of a remote server. */
function defaultParallel(backend: BackendName): number {
  return backend === 'llamacpp' ? 1 : 64;
}

/**
 * What `buildApp` serves for the configured models: local models of a models file or folder load
 * on demand; the others (remote ones, which cost nothing, and a lone --model) start loading now.
 */
export function modelSources(configured: ConfiguredModels, hooks: ModelSourceHooks): ModelSource[] {
  return configured.models.map((model) => {
    const common = {
      id: model.id,
      backendName: model.settings.backend,
      parallel: model.parallel ?? defaultParallel(model.settings.backend),
      maxQueue: model.maxQueue ?? hooks.maxQueue,
    };
    const watched = (loading: Promise<Backend>, loadedAtStart: boolean) =>
      loading.then(
        (backend) => {
          hooks.onReady?.(model.id, model.settings.backend);
          return backend;
        },
        (error: unknown) => {
          hooks.onFailed?.(model.id, error, loadedAtStart);
          throw error;
        },
      );
    if (model.onDemand) {
      return {
        ...common,
        load: ({ onLoadProgress }) => {
          hooks.onLoading?.(model.id);
          return watched(createBackend({ ...model.settings, onLoadProgress }), false);
        },
      };
    }
    const backend = watched(createBackend({ ...model.settings, ...(hooks.onDownloadProgress ? { onDownloadProgress: hooks.onDownloadProgress } : {}) }), true);
    // Handled by the server (ServedModel) and reported by onFailed; never an unhandled rejection.
    backend.catch(() => {});
    return { ...common, backend, ...(hooks.downloadProgress ? { downloadProgress: hooks.downloadProgress } : {}) };
  });
}
