import { open } from 'node:fs/promises';
import type { Llama, LlamaModel } from 'node-llama-cpp';
import { BackendError } from '../backend.ts';

const FIX = 'Pass --model PATH with a GGUF model file, or leave --model out to download the default model.';

/**
 * Loads a GGUF file and turns every way that can fail into a BackendError('model-load') that names
 * the path and the fix, because this is the first thing a new user hits with a wrong path.
 * The magic-number check runs first so a non-GGUF file gets a plain answer instead of llama.cpp's.
 */
export async function loadModelFile(llama: Llama, path: string, onLoadProgress?: (fraction: number) => void): Promise<LlamaModel> {
  let magic: string;
  try {
    const file = await open(path, 'r');
    try {
      const bytes = Buffer.alloc(4);
      const { bytesRead } = await file.read(bytes, 0, 4, 0);
      magic = bytes.subarray(0, bytesRead).toString('latin1');
    } finally {
      await file.close();
    }
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `not readable (${(error as Error).message})`;
    throw new BackendError('model-load', `Model file ${path} is ${reason}. ${FIX}`);
  }
  if (magic !== 'GGUF') {
    throw new BackendError('model-load', `Model file ${path} is not a GGUF file (it does not start with "GGUF"). ${FIX}`);
  }
  try {
    return await llama.loadModel({ modelPath: path, ...(onLoadProgress ? { onLoadProgress } : {}) });
  } catch (error) {
    throw new BackendError(
      'model-load',
      `Model file ${path} could not be loaded; it may be corrupt or incomplete (${(error as Error).message}). ` +
        `Download it again, or ${FIX.charAt(0).toLowerCase()}${FIX.slice(1)}`,
    );
  }
}
