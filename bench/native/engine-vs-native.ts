/**
 * `npm run bench:native`: anychat's `llamacpp` backend against native `llama-bench` built from the
 * same llama.cpp commit, on the same model file, threads and context; interleaved A B A B so the
 * shared machine's drifting load hits both alike. Writes bench/results/engine-vs-native.json.
 * Full runs measure at anychat's default threads (cores − 1) and at every core. Flags: --quick (135M Q8_0, default threads,
 * 3 pairs), --model NAME (repeatable), --threads N, --budget-seconds N.
 */
import { availableParallelism } from 'node:os';
import { MAX_DEFAULT_THREADS } from '../../src/backends/llamacpp/llamacpp-config.ts';
import { parseBenchArguments, TimeBudget } from '../lib/bench-arguments.ts';
import { decodeTraffic } from '../lib/decode-bytes-per-token.ts';
import { benchThreads } from '../lib/engine-threads.ts';
import { readResultsFile, startBenchmark } from '../lib/results-file.ts';
import { benchModelPath, selectBenchModels } from './bench-models.ts';
import { compareEngineWithNative } from './compare-engine-with-native.ts';
import { llamaBenchArguments } from './llama-bench-runner.ts';
import { ensureNativeLlama } from './native-llama-build.ts';

const PROMPT_TOKENS = 128;
const GENERATED_TOKENS = 64;
/** Large enough for prompt + generation; both engines then size their KV cache views alike (llama.cpp pads to 256). */
const CONTEXT_SIZE = 256;

const options = parseBenchArguments();
const run = startBenchmark('engine-vs-native', options.quick);
const budget = new TimeBudget(options.budgetSeconds ?? (options.quick ? 150 : 1500));
const defaultThreads = await benchThreads(options.threads);
// Full runs add a thread per core: anychat's default keeps one core free, and the comparison at every core shows what that costs or saves.
const everyCore = Math.min(availableParallelism(), MAX_DEFAULT_THREADS);
const threadCounts = options.quick || options.threads !== undefined ? [defaultThreads] : [...new Set([defaultThreads, everyCore])];
const native = await ensureNativeLlama({ echo: false });
const models = selectBenchModels({ quick: options.quick, requested: options.models });
const measurement = { promptTokens: PROMPT_TOKENS, generatedTokens: GENERATED_TOKENS, contextSize: CONTEXT_SIZE };

const modelResults = [];
for (const threads of threadCounts) {
  for (const name of models) {
    const modelPath = await benchModelPath(name);
    const comparison = await compareEngineWithNative({
      name,
      modelPath,
      threads,
      benchPath: native.benchPath,
      measurement,
      pairsWanted: options.quick ? 3 : 5,
      minimumPairs: 2,
      budget,
    });
    modelResults.push({
      measuredAt: new Date().toISOString(),
      model: name,
      modelPath,
      threads,
      traffic: await decodeTraffic(modelPath),
      llamaBenchArguments: llamaBenchArguments({ benchPath: native.benchPath, modelPath, threads, ...measurement }),
      ...comparison,
    });
  }
}

/**
 * Rows for other (model, threads) pairs from an earlier run against the same native commit are
 * kept, so `--threads 1` or `--model X` refine the table instead of erasing the rest of it.
 */
const previous = (await readResultsFile('engine-vs-native')) as
  | { settings?: { nativeCommit?: string }; results?: { models?: { model: string; threads: number }[] } }
  | undefined;
const measured = new Set(modelResults.map((row) => `${row.model}@${row.threads}`));
const kept = previous?.settings?.nativeCommit === native.commit ? (previous.results?.models ?? []).filter((row) => !measured.has(`${row.model}@${row.threads}`)) : [];

const path = await run.write(
  {
    threads: defaultThreads,
    threadCounts,
    ...measurement,
    sampling: 'anychat defaults (temperature 0.7), seeded; llama-bench does not sample',
    nativeCommit: native.commit,
    nativeCmakeOptions: native.cmakeOptions,
    target: { minimumRatio: 0.97 },
  },
  { models: [...modelResults, ...kept] },
);
console.log(`wrote ${path}`);
