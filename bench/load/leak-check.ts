import { setTimeout as sleep } from 'node:timers/promises';
import { roundTo } from '../lib/statistics.ts';
import type { MemorySampler } from './memory-sampler.ts';
import type { ServerProcess } from './server-process.ts';

const MEBIBYTE = 1024 ** 2;

/** The server's memory right after a forced full garbage collection: live objects only. */
export interface MemoryCheckpoint {
  residentMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
}

export interface LeakVerdict {
  baseline: MemoryCheckpoint;
  peak: { residentMiB: number; heapUsedMiB: number };
  afterSettle: MemoryCheckpoint;
  heapGrowthKiB: number;
  residentGrowthMiB: number;
  /** Heap growth per request the server answered in the phase: a leak shows as a steady figure here. */
  heapGrowthBytesPerRequest: number;
  toleranceKiB: number;
  /** Heap after settling ≤ baseline + tolerance. */
  backToBaseline: boolean;
}

export async function checkpointAfterGc(server: ServerProcess): Promise<MemoryCheckpoint> {
  const memory = await server.collectGarbage();
  return {
    residentMiB: roundTo(memory.rss / MEBIBYTE, 1),
    heapUsedMiB: roundTo(memory.heapUsed / MEBIBYTE, 3),
    externalMiB: roundTo(memory.external / MEBIBYTE, 1),
  };
}

/**
 * Lets the server come to rest after the load (answers' re-attach grace, keep-alive timers,
 * closing sockets), sampling once a second, then forces a GC and takes the after-figure.
 */
export async function settle(server: ServerProcess, sampler: MemorySampler, seconds: number): Promise<MemoryCheckpoint> {
  sampler.setPhase('settle');
  await sleep(seconds * 1000);
  return checkpointAfterGc(server);
}

export function leakVerdict(options: {
  baseline: MemoryCheckpoint;
  peak: { residentMiB: number; heapUsedMiB: number };
  afterSettle: MemoryCheckpoint;
  requests: number;
  toleranceKiB: number;
}): LeakVerdict {
  const heapGrowthKiB = roundTo((options.afterSettle.heapUsedMiB - options.baseline.heapUsedMiB) * 1024, 0);
  return {
    baseline: options.baseline,
    peak: options.peak,
    afterSettle: options.afterSettle,
    heapGrowthKiB,
    residentGrowthMiB: roundTo(options.afterSettle.residentMiB - options.baseline.residentMiB, 1),
    heapGrowthBytesPerRequest: options.requests > 0 ? roundTo((heapGrowthKiB * 1024) / options.requests, 1) : 0,
    toleranceKiB: options.toleranceKiB,
    backToBaseline: heapGrowthKiB <= options.toleranceKiB,
  };
}
