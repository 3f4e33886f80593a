import { resolveModelFile, type ResolveModelFileOptions } from 'node-llama-cpp';
import { BackendError } from '../backend.ts';
import { DEFAULT_MODEL, type KnownModelFile } from './default-model.ts';
import { createDownloadProgress } from './download-progress.ts';
import { defaultModelCacheDirectory } from './model-cache-directory.ts';
import { verifyModelFile } from './verify-model-file.ts';

export interface DownloadProgressReport {
  receivedBytes: number;
  totalBytes: number | null;
}

export interface ResolveModelOptions {
  cacheDirectory?: string | undefined;
  /** Tests point this at a local server; otherwise `HF_ENDPOINT`, else huggingface.co. */
  huggingFaceEndpoint?: string | undefined;
  /** Show a progress bar on stderr; defaults to whether stderr is a terminal. */
  progress?: boolean | undefined;
  /** Told of download progress, so the server can show the page a progress bar while the model downloads. */
  onProgress?: ((progress: DownloadProgressReport) => void) | undefined;
  /** Stops a download part-way; its `.ipull` file stays, and the next run resumes from it. */
  signal?: AbortSignal | undefined;
  /** Tests pin a small file of their own in place of the default model. */
  defaultModel?: KnownModelFile | undefined;
  /** Read for HF_TOKEN / HF_API_KEY; tests pass their own. */
  environment?: NodeJS.ProcessEnv | undefined;
}

const OFFLINE_ADVICE = 'Pass --model PATH to use a GGUF file you already have, or --endpoint URL to chat through a running server.';

/**
 * Turns the configured `model` into a local file path: a path is used as is; an `hf:` reference
 * (node-llama-cpp's model URI, e.g. `hf:owner/repo/file.gguf` or `…/file.gguf#revision`) is
 * downloaded into the cache once by node-llama-cpp's resolveModelFile; nothing means the default
 * model at its pinned revision, checked against its pinned SHA-256 before it is used.
 */
export async function resolveModelPath(reference: string | undefined, options: ResolveModelOptions = {}): Promise<string> {
  if (reference !== undefined && !reference.startsWith('hf:')) return reference;
  const defaultModel = options.defaultModel ?? DEFAULT_MODEL;
  const uri = pinnedIfDefault(reference ?? defaultModel.reference, defaultModel);
  const environment = options.environment ?? process.env;
  const endpoint = options.huggingFaceEndpoint ?? environment.HF_ENDPOINT ?? 'https://huggingface.co/';
  const token = environment.HF_TOKEN || environment.HF_API_KEY;
  const directory = options.cacheDirectory ?? defaultModelCacheDirectory(environment);
  const common: CommonOptions = {
    directory,
    endpoints: { huggingFace: endpoint },
    // Sent on the first request, so a gated repository answers at once rather than after a 401.
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    cli: false,
  };
  const path = (await alreadyDownloaded(uri, common)) ?? (await download(uri, endpoint, common, options));
  if (uri === defaultModel.reference) await verifyModelFile(path, defaultModel);
  return path;
}

/** The default file named without a revision still gets the pinned one, and with it the checksum check. */
function pinnedIfDefault(uri: string, defaultModel: KnownModelFile): string {
  const [withoutRevision] = defaultModel.reference.split('#');
  return uri === withoutRevision ? defaultModel.reference : uri;
}

type CommonOptions = Pick<ResolveModelFileOptions, 'directory' | 'endpoints' | 'headers' | 'cli'>;

async function alreadyDownloaded(uri: string, common: CommonOptions): Promise<string | null> {
  try {
    return await resolveModelFile(uri, { ...common, download: false });
  } catch (error) {
    if (/download is disabled/.test((error as Error).message)) return null;
    throw new BackendError('model-load', `${JSON.stringify(uri)} is not a usable Hugging Face reference (${(error as Error).message}); expected hf:owner/repo/file.gguf or hf:owner/repo/file.gguf#revision.`);
  }
}

async function download(uri: string, endpoint: string, common: CommonOptions, options: ResolveModelOptions): Promise<string> {
  await ensureReachable(endpoint);
  const bar = createDownloadProgress(options.progress ?? process.stderr.isTTY === true);
  try {
    const path = await resolveModelFile(uri, {
      ...common,
      // A download stopped part-way keeps its `.ipull` file, and the next run resumes it.
      deleteTempFileOnCancel: false,
      signal: options.signal,
      onProgress: ({ downloadedSize, totalSize }) => {
        bar.update(downloadedSize, totalSize);
        options.onProgress?.({ receivedBytes: downloadedSize, totalBytes: totalSize });
      },
    });
    // A download stopped part-way returns as if it had finished (node-llama-cpp 3.22 through ipull).
    options.signal?.throwIfAborted();
    return path;
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const status = (error as { statusCode?: number }).statusCode;
    const advice = status === 401 || status === 403 ? 'For a gated repository, set HF_TOKEN to a token that may read it. ' : '';
    throw new BackendError(
      status === 401 || status === 403 ? 'unauthorized' : 'upstream',
      `Cannot download the model ${uri}: ${status === undefined ? (error as Error).message : `the server answered HTTP ${status}`}. ${advice}${OFFLINE_ADVICE}`,
      status,
    );
  } finally {
    bar.stop();
  }
}

/**
 * resolveModelFile retries a refused connection about 150 times with back-off (ipull's default,
 * which it does not expose), so offline it would sit silent for minutes. One request first tells
 * "no network" at once; any HTTP answer at all means the host is reachable.
 */
async function ensureReachable(endpoint: string): Promise<void> {
  try {
    const response = await fetch(endpoint, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    await response.body?.cancel();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new BackendError(
      'unreachable',
      `Cannot download the model from ${endpoint}: no network connection (${cause?.code ?? cause?.message ?? (error as Error).message}). ${OFFLINE_ADVICE}`,
    );
  }
}
