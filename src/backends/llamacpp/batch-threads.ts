import type { LlamaContext } from 'node-llama-cpp';

/** The part of node-llama-cpp's native context this needs (`LlamaContext._ctx`, not public API). */
interface NativeContext {
  setThreads(threads: number): void;
}

/**
 * Runs prompt batches on `threadsBatch` threads and single-token decode steps on `threads`, as
 * llama.cpp's `--threads` / `--threads-batch` do.
 *
 * Why this reaches inside node-llama-cpp: 3.22 sets llama.cpp's n_threads and n_threads_batch to
 * one value (AddonContext.cpp: `n_threads_batch = n_threads`, and `setThreads` sets both), so no
 * option separates them. It does call the native `setThreads(n)` before every llama_decode (the
 * thread splitter's allocation), right after asking the batch strategy which tokens go in. So the
 * strategy says whether this batch carries a prompt (some sequence has more than one token in it),
 * and the wrapped `setThreads` applies the matching count. Where the internals differ (another
 * node-llama-cpp), nothing is wrapped and every batch runs on `threads`: returns false.
 */
export function separateBatchThreads(
  context: LlamaContext,
  counts: { threads: number; threadsBatch: number },
): BatchThreads {
  let carriesPrompt = false;
  const decodes = { onThreadsBatch: 0, onThreads: 0 };
  const noteBatch = (value: boolean): void => {
    carriesPrompt = value;
  };
  const native = (context as unknown as { _ctx?: Partial<NativeContext> })._ctx;
  const setThreads = native?.setThreads;
  const stats = (separated: boolean) => () => ({ ...counts, separated, decodes: { ...decodes } });
  if (counts.threads === counts.threadsBatch || !native || typeof setThreads !== 'function') return { noteBatch, stats: stats(false) };
  const applyThreads = (_allocated: number): void => {
    if (carriesPrompt) decodes.onThreadsBatch++;
    else decodes.onThreads++;
    setThreads.call(native, carriesPrompt ? counts.threadsBatch : counts.threads);
  };
  // The addon's methods are read-only prototype properties, so plain assignment throws; an own
  // property on the instance shadows it.
  try {
    Object.defineProperty(native, 'setThreads', { value: applyThreads, configurable: true, writable: true });
  } catch {
    return { noteBatch, stats: stats(false) };
  }
  return { noteBatch, stats: stats(true) };
}

export interface BatchThreadStats {
  threads: number;
  threadsBatch: number;
  /** False when both counts are one, or node-llama-cpp's internals did not allow separating them. */
  separated: boolean;
  /** llama_decode calls run on each count (counted only when separated). */
  decodes: { onThreadsBatch: number; onThreads: number };
}

export interface BatchThreads {
  /** The batch strategy calls this before each llama_decode. */
  noteBatch: (carriesPrompt: boolean) => void;
  stats: () => BatchThreadStats;
}
