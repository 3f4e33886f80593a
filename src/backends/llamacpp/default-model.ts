import type { HuggingFaceFile } from './hugging-face-reference.ts';

export interface KnownModelFile extends HuggingFaceFile {
  sizeBytes: number;
  sha256: string;
}

/**
 * What anychat downloads when no model is configured: Qwen2.5-0.5B-Instruct at Q8_0 (Apache-2.0).
 * Small enough to download in a minute and run on any CPU, and it follows ChatML instructions well
 * for its size; Q8_0 rather than Q4_K_M because at 0.5B parameters the 4-bit loss is noticeable
 * and the file is still only 645 MiB.
 *
 * Size and SHA-256 could not be checked by downloading here (no network on the build machine);
 * they are the values three independent public projects pin for this exact file (Hugging Face
 * revision 9217f5db79a29953eb74d5343926648285ec7e67). If Qwen ever replaces the file on `main`,
 * the download is refused as a checksum mismatch rather than silently run.
 */
export const DEFAULT_MODEL: KnownModelFile = {
  owner: 'Qwen',
  repository: 'Qwen2.5-0.5B-Instruct-GGUF',
  file: 'qwen2.5-0.5b-instruct-q8_0.gguf',
  sizeBytes: 675_710_816,
  sha256: 'ca59ca7f13d0e15a8cfa77bd17e65d24f6844b554a7b6c12e07a5f89ff76844e',
};
