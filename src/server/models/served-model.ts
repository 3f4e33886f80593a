import type { Backend, BackendInfo } from '../../backends/backend.ts';
import { HttpProblem } from '../http-problem.ts';
import { GenerationQueue } from '../scheduling/generation-queue.ts';

export type ModelStatus = 'loading' | 'ready' | 'failed';

export interface DownloadProgress {
  receivedBytes: number;
  totalBytes: number | null;
}

/** How a model is handed to `buildApp`: a backend, or the promise of one still loading. */
export interface ModelSource {
  /** The id clients name the model by (`model` in OpenAI bodies, `modelId` in settings). */
  id: string;
  backend: Backend | Promise<Backend>;
  /** Generations at once; the embedded engine's sequences (`--parallel`). */
  parallel: number;
  /** Requests that may wait for a free sequence before new ones get 429. */
  maxQueue: number;
  /** While a default model downloads, how far it has got. */
  downloadProgress?: () => DownloadProgress | null;
}

/**
 * One model as the server sees it: whether it has loaded, its backend and cached info once it has,
 * and the queue in front of it. The server answers `/health` and the page while the backend is
 * still loading; generation routes get a 503 with the reason until then.
 */
export class ServedModel {
  status: ModelStatus = 'loading';
  failure: string | null = null;
  backend: Backend | null = null;
  info: BackendInfo | null = null;
  readonly queue: GenerationQueue;
  /** Settles (never rejects) once the backend is ready or has failed. */
  readonly settled: Promise<void>;

  constructor(private readonly source: ModelSource) {
    this.queue = new GenerationQueue(source.parallel, source.maxQueue);
    this.settled = Promise.resolve(source.backend)
      .then(async (backend) => {
        const info = await backend.info();
        this.backend = backend;
        this.info = info;
        this.status = 'ready';
      })
      .catch((error: unknown) => {
        this.status = 'failed';
        this.failure = error instanceof Error ? error.message : String(error);
      });
  }

  get id(): string {
    return this.source.id;
  }

  downloadProgress(): DownloadProgress | null {
    return this.status === 'loading' ? (this.source.downloadProgress?.() ?? null) : null;
  }

  /** The backend and its info, or a 503 that says why the model cannot answer yet. */
  requireReady(): { backend: Backend; info: BackendInfo } {
    if (this.status === 'ready' && this.backend && this.info) return { backend: this.backend, info: this.info };
    if (this.status === 'failed') {
      return this.unavailable(`model ${this.id} failed to load: ${this.failure}`);
    }
    const progress = this.downloadProgress();
    const percent = progress?.totalBytes ? ` (downloaded ${Math.floor((100 * progress.receivedBytes) / progress.totalBytes)}%)` : '';
    return this.unavailable(`model ${this.id} is still loading${percent}; retry in a moment`);
  }

  private unavailable(message: string): never {
    throw new HttpProblem(503, 'model-unavailable', message);
  }
}
