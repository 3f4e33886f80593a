import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { repositoryRoot } from './repository-root.ts';

const run = promisify(execFile);

/**
 * The llama.cpp sources that node-llama-cpp was released with. The package ships them as a git
 * bundle (no network needed); we check out only what we read: the vocabulary GGUFs in `models/`
 * and the GGUF format headers we checked our writer against.
 */
export const llamaCppSourceDirectory = join(repositoryRoot, '.cache', 'llama.cpp');
const bundlePath = join(repositoryRoot, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
const sparsePaths = ['/models/ggml-vocab-*.gguf', '/ggml/include/gguf.h', '/gguf-py/gguf/constants.py'];

export function vocabularyPath(name: string): string {
  return join(llamaCppSourceDirectory, 'models', `ggml-vocab-${name}.gguf`);
}

export async function ensureLlamaCppSource(): Promise<string> {
  if (existsSync(vocabularyPath('qwen2'))) return llamaCppSourceDirectory;
  if (!existsSync(bundlePath)) {
    throw new Error(`llama.cpp source bundle not found at ${bundlePath}; run npm ci so node-llama-cpp is installed`);
  }
  await rm(llamaCppSourceDirectory, { recursive: true, force: true });
  await mkdir(dirname(llamaCppSourceDirectory), { recursive: true });
  await run('git', ['clone', '--quiet', '--no-checkout', bundlePath, llamaCppSourceDirectory]);
  await run('git', ['-C', llamaCppSourceDirectory, 'sparse-checkout', 'set', '--no-cone', ...sparsePaths]);
  await run('git', ['-C', llamaCppSourceDirectory, 'checkout', '--quiet']);
  return llamaCppSourceDirectory;
}
