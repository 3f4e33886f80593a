import { DEFAULT_MODEL } from './default-model.ts';
import { downloadFile, type DownloadFileOptions } from './download-file.ts';
import {
  HUGGING_FACE_BASE_URL,
  huggingFaceCachePath,
  huggingFaceDownloadUrl,
  isHuggingFaceReference,
  parseHuggingFaceReference,
  type HuggingFaceFile,
} from './hugging-face-reference.ts';
import { defaultModelCacheDirectory } from './model-cache-directory.ts';

export interface ResolveModelOptions {
  cacheDirectory?: string | undefined;
  /** Tests point this at a local server. */
  huggingFaceBaseUrl?: string | undefined;
  /** Show a progress bar on stderr; defaults to whether stderr is a terminal. */
  progress?: boolean | undefined;
  onProgress?: DownloadFileOptions['onProgress'];
}

/**
 * Turns the configured `model` into a local file path: a path is used as is; `hf:owner/repo/file`
 * is downloaded into the cache once; nothing means the default model, downloaded the same way.
 */
export async function resolveModelPath(reference: string | undefined, options: ResolveModelOptions = {}): Promise<string> {
  if (reference !== undefined && !isHuggingFaceReference(reference)) return reference;
  const file: HuggingFaceFile = reference === undefined ? DEFAULT_MODEL : parseHuggingFaceReference(reference);
  // An explicit hf: reference to the default file gets the same verification.
  const isDefault =
    file.owner === DEFAULT_MODEL.owner && file.repository === DEFAULT_MODEL.repository && file.file === DEFAULT_MODEL.file;
  const destination = huggingFaceCachePath(file, options.cacheDirectory ?? defaultModelCacheDirectory());
  await downloadFile({
    url: huggingFaceDownloadUrl(file, options.huggingFaceBaseUrl ?? HUGGING_FACE_BASE_URL),
    destination,
    expectedSizeBytes: isDefault ? DEFAULT_MODEL.sizeBytes : undefined,
    expectedSha256: isDefault ? DEFAULT_MODEL.sha256 : undefined,
    progress: options.progress ?? process.stderr.isTTY === true,
    onProgress: options.onProgress,
  });
  return destination;
}
