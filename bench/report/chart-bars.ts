import { decodeCeilings } from './decode-ceiling.ts';
import type { ChartBar } from './ratio-chart.ts';
import { MINIMUM_ENGINE_RATIO } from './render-engine-vs-native.ts';
import { MINIMUM_THROUGHPUT_RATIO } from './render-server-vs-llama-server.ts';
import type { EngineVsNativeResults, MemoryBandwidthResults, ServerVsLlamaServerResults } from './results-types.ts';

/** The ratios worth seeing at a glance: engine vs native, share of the bandwidth ceiling, server vs llama-server. */
export function chartBars(results: { engine?: EngineVsNativeResults; bandwidth?: MemoryBandwidthResults; server?: ServerVsLlamaServerResults }): ChartBar[] {
  const bars: ChartBar[] = [];
  for (const model of results.engine?.results.models ?? []) {
    bars.push(
      { group: '1. Engine ÷ llama-bench', label: `${model.model} ${model.threads}t decode`, value: model.decode.ratio.median, target: MINIMUM_ENGINE_RATIO },
      { group: '1. Engine ÷ llama-bench', label: `${model.model} ${model.threads}t prompt`, value: model.prompt.ratio.median, target: MINIMUM_ENGINE_RATIO },
    );
  }
  if (results.engine && results.bandwidth) {
    for (const ceiling of decodeCeilings(results.engine, results.bandwidth)) {
      if (ceiling.anychatFraction !== null) {
        bars.push({ group: '2. Decode ÷ bandwidth ceiling', label: `${ceiling.model} ${ceiling.threads}t`, value: ceiling.anychatFraction, target: null });
      }
    }
  }
  for (const [label, levels] of Object.entries(results.server?.results.summary ?? {})) {
    for (const [clients, level] of Object.entries(levels)) {
      if (level.comparison) {
        bars.push({
          group: '3. Server ÷ llama-server, aggregate tok/s',
          label: `${label}, ${clients} client(s)`,
          value: level.comparison.throughputRatio.median,
          target: MINIMUM_THROUGHPUT_RATIO,
        });
      }
    }
  }
  return bars;
}
