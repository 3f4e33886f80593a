import { decodeCeilings } from './decode-ceiling.ts';
import { MINIMUM_ENGINE_RATIO } from './render-engine-vs-native.ts';
import { MAXIMUM_EXTRA_TIME_TO_FIRST_TOKEN_MS, MINIMUM_THROUGHPUT_RATIO } from './render-server-vs-llama-server.ts';
import type { EngineVsNativeResults, MemoryBandwidthResults, ServerVsLlamaServerResults } from './results-types.ts';

/** One checked target: what was measured against what was asked, and the gap when short. */
export interface TargetCheck {
  section: string;
  what: string;
  measured: string;
  target: string;
  met: boolean | null;
  /** How far from the target, in the target's own unit, when missed. */
  gap: string | null;
}

export function checkTargets(results: {
  engine?: EngineVsNativeResults;
  bandwidth?: MemoryBandwidthResults;
  server?: ServerVsLlamaServerResults;
}): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const model of results.engine?.results.models ?? []) {
    for (const phase of ['decode', 'prompt'] as const) {
      const ratio = model[phase].ratio.median;
      const met = ratio >= MINIMUM_ENGINE_RATIO;
      checks.push({
        section: '1',
        what: `${model.model}, ${model.threads} thread(s), ${phase} vs llama-bench`,
        measured: ratio.toFixed(3),
        target: `≥ ${MINIMUM_ENGINE_RATIO}`,
        met: Number.isFinite(ratio) ? met : null,
        gap: met ? null : `${((MINIMUM_ENGINE_RATIO - ratio) * 100).toFixed(1)} points short`,
      });
    }
  }
  if (results.engine) {
    for (const ceiling of decodeCeilings(results.engine, results.bandwidth)) {
      if (ceiling.anychatFraction === null) continue;
      checks.push({
        section: '2',
        what: `${ceiling.model}, ${ceiling.threads} thread(s), decode: fraction of the bandwidth ceiling`,
        measured: `${(ceiling.anychatFraction * 100).toFixed(0)}%`,
        target: 'reported (no target)',
        met: null,
        gap: null,
      });
    }
  }
  for (const [label, levels] of Object.entries(results.server?.results.summary ?? {})) {
    for (const [clients, level] of Object.entries(levels)) {
      if (!level.comparison) continue;
      const ratio = level.comparison.throughputRatio.median;
      const extra = level.comparison.extraTimeToFirstTokenP50Ms;
      checks.push(
        {
          section: '3',
          what: `${label}, ${clients} client(s): aggregate tokens/s vs llama-server`,
          measured: ratio.toFixed(3),
          target: `≥ ${MINIMUM_THROUGHPUT_RATIO}`,
          met: ratio >= MINIMUM_THROUGHPUT_RATIO,
          gap: ratio >= MINIMUM_THROUGHPUT_RATIO ? null : `${((MINIMUM_THROUGHPUT_RATIO - ratio) * 100).toFixed(1)}% less throughput`,
        },
        {
          section: '3',
          what: `${label}, ${clients} client(s): extra TTFT p50`,
          measured: `${extra.toFixed(1)} ms`,
          target: `≤ ${MAXIMUM_EXTRA_TIME_TO_FIRST_TOKEN_MS} ms`,
          met: extra <= MAXIMUM_EXTRA_TIME_TO_FIRST_TOKEN_MS,
          gap: extra <= MAXIMUM_EXTRA_TIME_TO_FIRST_TOKEN_MS ? null : `${(extra - MAXIMUM_EXTRA_TIME_TO_FIRST_TOKEN_MS).toFixed(1)} ms over`,
        },
      );
    }
  }
  return checks;
}
