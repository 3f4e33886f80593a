/**
 * `npm run bench:engine [-- --quick] [-- --threads N]`: what the llamacpp backend costs on top of
 * node-llama-cpp itself. On the SmolLM2-135M-shape Q8_0 model, with the same threads, it runs the
 * backend and the raw API in interleaved pairs (A B A B, so a shared machine's drifting load hits
 * both alike) and compares prompt-processing and decode tokens/s. Target: ratio ≥ 0.97.
 * Also measures the raw engine at 1 and 2 threads, the evidence for the default thread count.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureTestModel } from '../scripts/test-models/ensure-test-model.ts';
import { repositoryRoot } from '../scripts/test-models/repository-root.ts';
import { createLlamaCppBackend } from '../src/backends/llamacpp/llamacpp-backend.ts';
import { defaultThreadCount } from '../src/backends/llamacpp/llamacpp-config.ts';
import { loadLlama } from '../src/backends/llamacpp/load-llama.ts';
import { makeFixedLengthPrompt } from './native/fixed-length-prompt.ts';
import { TimeBudget } from './lib/bench-arguments.ts';
import { sampleBackend, sampleRawEngine, type EngineSample } from './lib/engine-samples.ts';
import { machineInfo } from './lib/machine-info.ts';
import { replaceMarkdownSection } from './lib/markdown-section.ts';
import { startBenchmark } from './lib/results-file.ts';
import { pairedRatio, roundTo, summarize, type SampleSummary } from './lib/statistics.ts';

const MODEL = 'smollm2-135m-shape-q8_0';
const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, threads: { type: 'string' } } });
const quick = values.quick === true;
const settings = {
  model: MODEL,
  pairs: quick ? 5 : 10,
  promptTokens: quick ? 128 : 256,
  newTokens: quick ? 48 : 96,
  threadSweepRuns: quick ? 3 : 5,
  /** Seconds after which the thread sweep stops adding runs: 2 threads on a busy 2-core box can crawl. */
  threadSweepBudgetSeconds: quick ? 45 : 120,
  contextSize: 1024,
  batchSize: 512,
  threads: 0,
};

const benchmark = startBenchmark('engine', quick);
const llama = await loadLlama();
settings.threads = values.threads ? Number(values.threads) : defaultThreadCount(llama.cpuMathCores);
const modelPath = await ensureTestModel(MODEL);
const { contextSize, batchSize, threads } = settings;
const backend = await createLlamaCppBackend({ backend: 'llamacpp', model: modelPath, threads, contextSize, batchSize, parallel: 1 });
const rawModel = await llama.loadModel({ modelPath });
const rawContext = await rawModel.createContext({ contextSize, batchSize, threads, sequences: 1 });
const rawSequence = rawContext.getSequence();

// Each run gets its own prompt (a different first token), so the backend's prefix cache never
// skips prompt processing and both sides pay for every prompt token.
const prompts = await Promise.all(
  Array.from({ length: settings.pairs * 2 + 2 }, (_, variant) => makeFixedLengthPrompt(backend, settings.promptTokens, variant)),
);
const backendSamples: EngineSample[] = [];
const rawSamples: EngineSample[] = [];
// One warm-up of each (page faults, allocator, caches) before anything is recorded.
await sampleBackend(backend, prompts[0] as string, 8);
await sampleRawEngine(rawModel, rawSequence, prompts[1] as string, 8);
for (let pair = 0; pair < settings.pairs; pair++) {
  const [first, second] = [prompts[2 + pair * 2] as string, prompts[3 + pair * 2] as string];
  // Alternate which side goes first, so neither always runs on a warmer machine.
  if (pair % 2 === 0) {
    backendSamples.push(await sampleBackend(backend, first, settings.newTokens));
    rawSamples.push(await sampleRawEngine(rawModel, rawSequence, second, settings.newTokens));
  } else {
    rawSamples.push(await sampleRawEngine(rawModel, rawSequence, first, settings.newTokens));
    backendSamples.push(await sampleBackend(backend, second, settings.newTokens));
  }
  process.stderr.write(`pair ${pair + 1}/${settings.pairs}\r`);
}
await backend.close();
await rawContext.dispose();

const threadSweep: Record<string, EngineSample[]> = { '1': [], '2': [] };
const sweep = await Promise.all(
  [1, 2].map(async (sweepThreads) => {
    const context = await rawModel.createContext({ contextSize, batchSize, threads: sweepThreads });
    return { sweepThreads, context, sequence: context.getSequence() };
  }),
);
const sweepBudget = new TimeBudget(settings.threadSweepBudgetSeconds);
for (let run = 0; run < settings.threadSweepRuns && (run === 0 || sweepBudget.allows(0)); run++) {
  for (const { sweepThreads, sequence } of run % 2 === 0 ? sweep : [...sweep].reverse()) {
    threadSweep[String(sweepThreads)]?.push(await sampleRawEngine(rawModel, sequence, prompts[run] as string, settings.newTokens));
  }
}
await Promise.all(sweep.map(({ context }) => context.dispose()));
await rawModel.dispose();

const decode = (samples: EngineSample[]): number[] => samples.map((sample) => sample.decodeTokensPerSecond);
const prompt = (samples: EngineSample[]): number[] => samples.map((sample) => sample.promptTokensPerSecond);
const rounded = (summary: SampleSummary): SampleSummary => ({
  count: summary.count,
  median: roundTo(summary.median, 3),
  minimum: roundTo(summary.minimum, 3),
  maximum: roundTo(summary.maximum, 3),
  relativeSpread: roundTo(summary.relativeSpread, 4),
});
const results = {
  decode: {
    backend: rounded(summarize(decode(backendSamples))),
    raw: rounded(summarize(decode(rawSamples))),
    ratio: rounded(pairedRatio(decode(backendSamples), decode(rawSamples))),
  },
  prompt: {
    backend: rounded(summarize(prompt(backendSamples))),
    raw: rounded(summarize(prompt(rawSamples))),
    ratio: rounded(pairedRatio(prompt(backendSamples), prompt(rawSamples))),
  },
  threadSweep: Object.fromEntries(
    Object.entries(threadSweep).map(([count, samples]) => [count, { decode: rounded(summarize(decode(samples))), prompt: rounded(summarize(prompt(samples))) }]),
  ),
  samples: { backend: backendSamples, raw: rawSamples, threadSweep },
};
const resultsPath = await benchmark.write(settings, results);

const percent = (value: number): string => `±${(value * 100).toFixed(1)}%`;
const row = (label: string, summary: SampleSummary): string =>
  `| ${label} | ${summary.median.toFixed(1)} | ${percent(summary.relativeSpread)} | ${summary.minimum.toFixed(1)}–${summary.maximum.toFixed(1)} |`;
const verdict = (ratio: number): string => (ratio >= 0.97 ? 'meets ≥ 0.97' : 'below 0.97');
const table = [
  `Model: ${MODEL} (random weights, real shape), ${threads} thread(s), ${settings.pairs} interleaved pairs, ` +
    `${settings.promptTokens}-token prompts, ${settings.newTokens} new tokens, greedy.`,
  '',
  '| Measure (tokens/s) | Median | Spread (IQR/2) | Min–max |',
  '|---|---|---|---|',
  row('Decode, llamacpp backend', results.decode.backend),
  row('Decode, raw node-llama-cpp', results.decode.raw),
  row('Prompt, llamacpp backend', results.prompt.backend),
  row('Prompt, raw node-llama-cpp', results.prompt.raw),
  '',
  `Backend ÷ raw (median of paired ratios): decode **${results.decode.ratio.median.toFixed(3)}** (${percent(results.decode.ratio.relativeSpread)}, ${verdict(results.decode.ratio.median)}), ` +
    `prompt **${results.prompt.ratio.median.toFixed(3)}** (${percent(results.prompt.ratio.relativeSpread)}, ${verdict(results.prompt.ratio.median)}).`,
  '',
  `Raw engine by thread count (${threadSweep['1']?.length ?? 0} runs each): ` +
    Object.entries(results.threadSweep)
      .map(([count, summary]) => `${count} thread(s): decode ${summary.decode.median.toFixed(1)}, prompt ${summary.prompt.median.toFixed(1)} tokens/s`)
      .join('; ') +
    '.',
].join('\n');
console.log(`\n${table}\n\nRaw samples: ${resultsPath}`);

const machine = machineInfo();
await replaceMarkdownSection(
  join(repositoryRoot, 'BENCHMARKS.md'),
  'engine',
  [
    '## Engine overhead: llamacpp backend vs raw node-llama-cpp',
    '',
    `Measured by \`npm run bench:engine${quick ? ' -- --quick' : ''}\` on ${machine.cpuModel}, ${machine.logicalCores} cores, ` +
      `${(machine.memoryBytes / 1024 ** 3).toFixed(0)} GiB (${new Date().toISOString().slice(0, 10)}). Raw samples: \`bench/results/engine.json\`.`,
    '',
    table,
  ].join('\n'),
);
