import { join } from 'node:path';

export const HUGGING_FACE_BASE_URL = 'https://huggingface.co';

export interface HuggingFaceFile {
  owner: string;
  repository: string;
  /** Path inside the repository, e.g. `qwen2.5-0.5b-instruct-q8_0.gguf`. */
  file: string;
}

const REFERENCE = /^hf:([\w.-]+)\/([\w.-]+)\/((?:[\w.-]+\/)*[\w.-]+\.gguf)$/;

export function isHuggingFaceReference(reference: string): boolean {
  return reference.startsWith('hf:');
}

/** Parses `hf:owner/repo/file.gguf`; the message shows the expected shape, since users type these by hand. */
export function parseHuggingFaceReference(reference: string): HuggingFaceFile {
  const match = REFERENCE.exec(reference);
  if (!match) {
    throw new Error(`${JSON.stringify(reference)} is not a Hugging Face model reference; expected hf:owner/repo/file.gguf`);
  }
  const [, owner = '', repository = '', file = ''] = match;
  if (file.split('/').includes('..')) throw new Error(`${JSON.stringify(reference)} must not contain ".." path segments`);
  return { owner, repository, file };
}

/** The download URL on the main branch: `<base>/owner/repo/resolve/main/file.gguf`. */
export function huggingFaceDownloadUrl(reference: HuggingFaceFile, baseUrl = HUGGING_FACE_BASE_URL): string {
  const path = [reference.owner, reference.repository, 'resolve', 'main', ...reference.file.split('/')].map(encodeURIComponent).join('/');
  return `${baseUrl.replace(/\/+$/, '')}/${path}`;
}

/** Where a downloaded file lives in the cache: `<cache>/owner/repo/file.gguf`, so names never collide. */
export function huggingFaceCachePath(reference: HuggingFaceFile, cacheDirectory: string): string {
  return join(cacheDirectory, reference.owner, reference.repository, ...reference.file.split('/'));
}
