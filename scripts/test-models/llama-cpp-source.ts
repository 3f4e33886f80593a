import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
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

/**
 * Checks the sources out once per clone. Test files run side by side and may each get here first:
 * each checks out into a folder of its own and renames it into place, so the folder exists only
 * whole, and a process that finds it already there keeps that one.
 */
export async function ensureLlamaCppSource(): Promise<string> {
  if (existsSync(vocabularyPath('qwen2'))) return llamaCppSourceDirectory;
  if (!existsSync(bundlePath)) {
    throw new Error(`llama.cpp source bundle not found at ${bundlePath}; run npm ci so node-llama-cpp is installed`);
  }
  await mkdir(dirname(llamaCppSourceDirectory), { recursive: true });
  const checkout = `${llamaCppSourceDirectory}.checkout-${process.pid}`;
  await rm(checkout, { recursive: true, force: true });
  try {
    await run('git', ['clone', '--quiet', '--no-checkout', bundlePath, checkout]);
    await run('git', ['-C', checkout, 'sparse-checkout', 'set', '--no-cone', ...sparsePaths]);
    await run('git', ['-C', checkout, 'checkout', '--quiet']);
    // A folder without the vocabularies was left by an older version of this function, which
    // checked out in place and could be interrupted: set it aside.
    if (existsSync(llamaCppSourceDirectory) && !existsSync(vocabularyPath('qwen2'))) {
      const broken = `${llamaCppSourceDirectory}.broken-${process.pid}`;
      await rename(llamaCppSourceDirectory, broken);
      await rm(broken, { recursive: true, force: true });
    }
    await rename(checkout, llamaCppSourceDirectory).catch((error: NodeJS.ErrnoException) => {
      // Another test file's checkout got there first.
      if (!existsSync(vocabularyPath('qwen2'))) throw error;
    });
  } finally {
    await rm(checkout, { recursive: true, force: true });
  }
  return llamaCppSourceDirectory;
}
