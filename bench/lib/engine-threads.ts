import { defaultThreadCount } from '../../src/backends/llamacpp/llamacpp-config.ts';
import { loadLlama } from '../../src/backends/llamacpp/load-llama.ts';

/**
 * The thread count every engine in a comparison gets: the one asked for, else the one anychat
 * picks by default (the same rule as createLlamaCppBackend), so the figures describe what a
 * user runs.
 */
export async function benchThreads(requested: number | undefined): Promise<number> {
  if (requested !== undefined) return requested;
  const llama = await loadLlama();
  return defaultThreadCount(llama.cpuMathCores);
}
