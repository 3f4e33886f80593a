import type { Backend } from '../../backends/backend.ts';

/** What the embedded llama.cpp engine reports about its sequences; other backends have none. */
export interface EngineStats {
  activeSequences: number;
  queuedRequests: number;
  parallel: number;
}

type BackendWithStats = Backend & { stats(): EngineStats };

export function hasEngineStats(backend: Backend): backend is BackendWithStats {
  return typeof (backend as Partial<BackendWithStats>).stats === 'function';
}

export function engineStatsOf(backend: Backend): EngineStats | null {
  return hasEngineStats(backend) ? backend.stats() : null;
}
