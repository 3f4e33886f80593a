export interface KnownModelFile {
  /** A node-llama-cpp model URI, `hf:owner/repo/file.gguf#revision`, pinned to one commit. */
  reference: string;
  sizeBytes: number;
  sha256: string;
}

/**
 * What anychat downloads when no model is configured: Qwen2.5-0.5B-Instruct at Q8_0 (Apache-2.0).
 * Small enough to download in a minute and run on any CPU, and it follows ChatML instructions well
 * for its size; Q8_0 rather than Q4_K_M because at 0.5B parameters the 4-bit loss is noticeable
 * and the file is still only 645 MiB.
 *
 * The reference pins Hugging Face commit 9217f5db79a29953eb74d5343926648285ec7e67 (it becomes
 * `…/resolve/9217f5db…/file` rather than `resolve/main`), so a new upload to the repository cannot
 * break the checksum check. Size and SHA-256 could not be checked by downloading here (no network
 * on the build machine); they are the values three independent public projects pin for this exact
 * file at that revision. A file that does not match is refused and deleted rather than run.
 */
export const DEFAULT_MODEL: KnownModelFile = {
  reference: 'hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q8_0.gguf#9217f5db79a29953eb74d5343926648285ec7e67',
  sizeBytes: 675_710_816,
  sha256: 'ca59ca7f13d0e15a8cfa77bd17e65d24f6844b554a7b6c12e07a5f89ff76844e',
};
