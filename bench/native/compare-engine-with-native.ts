import { createLlamaCppBackend } from '../../src/backends/llamacpp/llamacpp-backend.ts';
import type { TimeBudget } from '../lib/bench-arguments.ts';
import { cpuPressure } from '../lib/cpu-pressure.ts';
import { pairedRatio, summarize } from '../lib/statistics.ts';
import { measureBackendThroughput, type BackendThroughputSample } from './backend-throughput.ts';
import { runLlamaBench, type ThroughputSample } from './llama-bench-runner.ts';

export interface EngineComparisonOptions {
  name: string;
  modelPath: string;
  threads: number;
  benchPath: string;
  measurement: { promptTokens: number; generatedTokens: number; contextSize: number };
  pairsWanted: number;
  minimumPairs: number;
  budget: TimeBudget;
}

/** Interleaved pairs of (anychat backend, llama-bench) on one model at one thread count. */
export async function compareEngineWithNative(options: EngineComparisonOptions) {
  const { promptTokens, generatedTokens, contextSize } = options.measurement;
  const backend = await createLlamaCppBackend({ backend: 'llamacpp', model: options.modelPath, threads: options.threads, contextSize, parallel: 1 });
  // One untimed generation: first-touch page faults of the mmapped weights and ggml's graph
  // allocation belong to loading, not to throughput, and llama-bench warms up the same way.
  await measureBackendThroughput(backend, { promptTokens, generatedTokens: 8, variant: 999 });
  const anychatSamples: BackendThroughputSample[] = [];
  const nativeSamples: ThroughputSample[] = [];
  const pressureBeforePair: (number | null)[] = [];
  let pairMilliseconds = 0;
  for (let pair = 0; pair < options.pairsWanted; pair++) {
    if (pair >= options.minimumPairs && !options.budget.allows(pairMilliseconds)) break;
    const pairStartedAt = performance.now();
    pressureBeforePair.push(cpuPressure());
    // Alternate which side goes first, so neither always runs on a cache the other just warmed.
    for (const side of pair % 2 === 0 ? ['anychat', 'native'] : ['native', 'anychat']) {
      if (side === 'anychat') {
        anychatSamples.push(await measureBackendThroughput(backend, { promptTokens, generatedTokens, variant: pair }));
      } else {
        const sample = await runLlamaBench({ benchPath: options.benchPath, modelPath: options.modelPath, threads: options.threads, promptTokens, generatedTokens });
        nativeSamples.push({ promptTokensPerSecond: sample.promptTokensPerSecond, decodeTokensPerSecond: sample.decodeTokensPerSecond });
      }
    }
    pairMilliseconds = performance.now() - pairStartedAt;
    const [mine, theirs] = [anychatSamples.at(-1), nativeSamples.at(-1)];
    console.log(
      `${options.name} ${options.threads}t pair ${pair + 1}: decode ${mine?.decodeTokensPerSecond.toFixed(1)} vs ${theirs?.decodeTokensPerSecond.toFixed(1)} tok/s, ` +
        `prompt ${mine?.promptTokensPerSecond.toFixed(0)} vs ${theirs?.promptTokensPerSecond.toFixed(0)} tok/s (CPU pressure ${pressureBeforePair.at(-1) ?? '?'}%)`,
    );
  }
  await backend.close();
  const decodeOf = (samples: ThroughputSample[]): number[] => samples.map((sample) => sample.decodeTokensPerSecond);
  const promptOf = (samples: ThroughputSample[]): number[] => samples.map((sample) => sample.promptTokensPerSecond);
  return {
    samples: { anychat: anychatSamples, native: nativeSamples, cpuPressureBeforePair: pressureBeforePair },
    decode: {
      anychat: summarize(decodeOf(anychatSamples)),
      native: summarize(decodeOf(nativeSamples)),
      ratio: pairedRatio(decodeOf(anychatSamples), decodeOf(nativeSamples)),
    },
    prompt: {
      anychat: summarize(promptOf(anychatSamples)),
      native: summarize(promptOf(nativeSamples)),
      ratio: pairedRatio(promptOf(anychatSamples), promptOf(nativeSamples)),
    },
  };
}
