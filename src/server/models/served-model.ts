import type { Backend, BackendInfo, BackendName } from '../../backends/backend.ts';
import { HttpProblem } from '../http-problem.ts';
import { GenerationQueue } from '../scheduling/generation-queue.ts';

/** `unloaded`: a model loaded on demand that is not in memory now; it loads when a request needs it. */
export type ModelStatus = 'unloaded' | 'loading' | 'ready' | 'failed';

export interface DownloadProgress {
  receivedBytes: number;
  totalBytes: number | null;
}

/**
 * How a model is handed to `buildApp`: a backend (or the promise of one still loading), loaded once
 * for the server's life; or `load`, for a local model loaded when a request first needs it and
 * unloaded again when idle or when another needs the room (model-residency.ts).
 */
export interface ModelSource {
  /** The id clients name the model by (`model` in OpenAI bodies, `modelId` in settings). */
  id: string;
  backend?: Backend | Promise<Backend>;
  load?: (hooks: { onLoadProgress: (fraction: number) => void }) => Promise<Backend>;
  /** Which backend it is, said before it has loaded (for the model list). */
  backendName?: BackendName;
  /** Generations at once; the embedded engine's sequences (`--parallel`). */
  parallel: number;
  /** Requests that may wait for a free sequence before new ones get 429. */
  maxQueue: number;
  /** While a default model downloads, how far it has got. */
  downloadProgress?: () => DownloadProgress | null;
}

/** A model held for one request from before its prompt is prepared until its generation is queued. */
export interface ModelLease {
  backend: Backend;
  info: BackendInfo;
  /** Call once the generation holds its place in the queue (or failed before): the queue keeps the model busy from then on. */
  release(): void;
}

/** What a model loaded on demand needs from the server's residency (model-residency.ts). */
export interface ResidencyHooks {
  now(): number;
  /** Waits until loading one more model keeps within the limit, unloading idle ones. */
  makeRoomFor(model: ServedModel): Promise<void>;
  /** A model stopped being busy: a load waiting for room may go on. */
  noteIdle(): void;
}

const alwaysRoom: ResidencyHooks = { now: Date.now, makeRoomFor: async () => {}, noteIdle: () => {} };

/**
 * One model as the server sees it: whether it has loaded, its backend and cached info once it has,
 * and the queue in front of it. The server answers `/health` and the page while a model loads;
 * a model loaded at start gives generation routes a 503 with the reason until then, and a model
 * loaded on demand makes them wait for it.
 */
export class ServedModel {
  status: ModelStatus;
  failure: string | null = null;
  backend: Backend | null = null;
  info: BackendInfo | null = null;
  /** While a model loaded on demand loads: the share of its file read so far, 0 to 1. */
  loadProgress: number | null = null;
  readonly queue: GenerationQueue;
  /** Settles (never rejects) once a model loaded at start is ready or has failed. */
  readonly settled: Promise<void>;
  readonly onDemand: boolean;
  /** When a request last used it (residency's clock): the least recently used idle model is unloaded first. */
  lastUsedAt: number;
  /** Counted by the residency towards --max-loaded-models: loaded, or loading with room made for it. */
  holdsRoom = false;
  loads = 0;
  unloads = 0;
  private pins = 0;
  private loading: Promise<void> | null = null;
  private closing: Promise<void> = Promise.resolve();

  constructor(
    private readonly source: ModelSource,
    private readonly residency: ResidencyHooks = alwaysRoom,
  ) {
    this.queue = new GenerationQueue(source.parallel, source.maxQueue);
    this.onDemand = source.load !== undefined;
    this.lastUsedAt = residency.now();
    if (source.backend === undefined) {
      if (!source.load) throw new Error(`model ${source.id} needs a backend or a load function`);
      this.status = 'unloaded';
      this.settled = Promise.resolve();
      return;
    }
    this.status = 'loading';
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

  get backendName(): BackendName | null {
    return this.info?.backend ?? this.backend?.name ?? this.source.backendName ?? null;
  }

  /** Answering, waiting in its queue, or held by a request about to queue: never unloaded then. */
  get busy(): boolean {
    return this.pins > 0 || this.queue.active > 0 || this.queue.depth > 0;
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
    if (this.status === 'unloaded') return this.unavailable(`model ${this.id} is not loaded; it loads when a generation asks for it`);
    const progress = this.downloadProgress();
    const percent = progress?.totalBytes ? ` (downloaded ${Math.floor((100 * progress.receivedBytes) / progress.totalBytes)}%)` : '';
    return this.unavailable(`model ${this.id} is still loading${percent}; retry in a moment`);
  }

  /**
   * Holds the model for one request. A model loaded on demand is loaded first, the request waiting
   * for it (and for room, should --max-loaded-models be reached by models all answering); it stays
   * held, so never unloaded, until `release`, by when the queue keeps it busy.
   */
  async acquire(): Promise<ModelLease> {
    this.pins++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.pins--;
      this.noteUsed();
    };
    try {
      if (this.onDemand && this.status === 'unloaded') this.loading ??= this.load();
      if (this.loading) await this.loading;
      return { ...this.requireReady(), release };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** A request ended or let go: restarts the idle clock and lets a load waiting for room look again. */
  noteUsed(): void {
    this.lastUsedAt = this.residency.now();
    if (!this.busy) this.residency.noteIdle();
  }

  /** Frees a model loaded on demand, unless it is busy; resolves once its memory is released. */
  async unload(): Promise<boolean> {
    if (!this.onDemand || this.status !== 'ready' || this.busy || !this.backend) return false;
    const backend = this.backend;
    this.status = 'unloaded';
    this.backend = null;
    this.holdsRoom = false;
    this.unloads++;
    // A load that starts meanwhile waits for this close, so two copies never sit in memory at once.
    this.closing = backend.close().catch(() => {});
    await this.closing;
    return true;
  }

  /** Closes the backend for good (shutdown), whatever its state. */
  async close(): Promise<void> {
    await this.settled;
    if (this.loading) await this.loading.catch(() => {});
    await this.closing;
    const backend = this.backend;
    this.backend = null;
    await backend?.close();
  }

  private async load(): Promise<void> {
    const load = this.source.load!;
    this.status = 'loading';
    this.loadProgress = 0;
    try {
      await this.residency.makeRoomFor(this);
      await this.closing;
      const backend = await load({ onLoadProgress: (fraction) => (this.loadProgress = fraction) });
      try {
        this.info = await backend.info();
      } catch (error) {
        await backend.close().catch(() => {});
        throw error;
      }
      this.backend = backend;
      this.status = 'ready';
      this.loads++;
    } catch (error) {
      this.holdsRoom = false;
      this.status = 'failed';
      this.failure = error instanceof Error ? error.message : String(error);
      this.residency.noteIdle();
    } finally {
      this.loadProgress = null;
      this.loading = null;
    }
  }

  private unavailable(message: string): never {
    throw new HttpProblem(503, 'model-unavailable', message);
  }
}
