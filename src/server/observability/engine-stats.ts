import type { Backend } from '../../backends/backend.ts';
import type { DecodeBatchStats } from '../../backends/llamacpp/decode-batch-counter.ts';
import type { PromptReuseStats } from '../../backends/llamacpp/llamacpp-backend.ts';

/** What the embedded llama.cpp engine reports about its sequences; other backends have none. */
export interface EngineStats {
  activeSequences: number;
  queuedRequests: number;
  parallel: number;
}

type BackendWithStats = Backend & { stats(): EngineStats };
type BackendWithDecodeStats = Backend & { decodeStats(): DecodeBatchStats };
type BackendWithPromptStats = Backend & { promptStats(): PromptReuseStats };

export function hasEngineStats(backend: Backend): backend is BackendWithStats {
  return typeof (backend as Partial<BackendWithStats>).stats === 'function';
}

export function engineStatsOf(backend: Backend): EngineStats | null {
  return hasEngineStats(backend) ? backend.stats() : null;
}

/** How many sequences each llama_decode carried, for the embedded engine; null for other backends. */
export function decodeStatsOf(backend: Backend): DecodeBatchStats | null {
  const candidate = backend as Partial<BackendWithDecodeStats>;
  return typeof candidate.decodeStats === 'function' ? candidate.decodeStats() : null;
}

/** Prompt tokens the embedded engine reused from cache or evaluated; null for other backends. */
export function promptStatsOf(backend: Backend): PromptReuseStats | null {
  const candidate = backend as Partial<BackendWithPromptStats>;
  return typeof candidate.promptStats === 'function' ? candidate.promptStats() : null;
}
