import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';
import { nativeLogsShown } from './native-log-setting.ts';

let llama: Promise<Llama> | undefined;

/**
 * One llama.cpp binding per process. CPU only with the prebuilt binary: node-llama-cpp's
 * postinstall (which would build or download GPU variants) is disabled in package.json.
 * `maxThreads: 0` lifts node-llama-cpp's process-wide thread cap so each context's `threads`
 * option is exactly what runs (see defaultThreadCount for why we choose it ourselves).
 */
export function loadLlama(): Promise<Llama> {
  llama ??= getLlama({ gpu: false, build: 'never', maxThreads: 0, logLevel: nativeLogsShown() ? LlamaLogLevel.error : LlamaLogLevel.disabled }).catch((error: unknown) => {
    llama = undefined;
    throw error;
  });
  return llama;
}
