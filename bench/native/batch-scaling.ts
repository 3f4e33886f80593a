/**
 * `npm run bench:batch`: how anychat's cost grows with concurrent conversations on one context
 * (1, 2, 4, 8 sequences batched by node-llama-cpp) and with history length (256, 1k, 4k tokens),
 * with native llama-bench at the same depths as the reference in full runs.
 * Writes bench/results/batch-scaling.json. Flags: --quick, --budget-seconds N.
 */
import { createLlamaCppBackend } from '../../src/backends/llamacpp/llamacpp-backend.ts';
import { parseBenchArguments, TimeBudget } from '../lib/bench-arguments.ts';
import { startBenchmark } from '../lib/results-file.ts';
import { runCommand } from '../lib/run-command.ts';
import { median } from '../lib/statistics.ts';
import { benchModelPath } from './bench-models.ts';
import { makeFixedLengthPrompt } from './fixed-length-prompt.ts';
import { traceGeneration, type GenerationTrace } from './generation-trace.ts';
import { nativeBinariesIfBuilt } from './native-llama-build.ts';
import { benchThreads } from '../lib/engine-threads.ts';

const options = parseBenchArguments();
const run = startBenchmark('batch-scaling', options.quick);
const budget = new TimeBudget(options.budgetSeconds ?? (options.quick ? 120 : 900));
const skipped: string[] = [];
const model = 'smollm2-135m-shape-q8_0';
const modelPath = await benchModelPath(model);
const threads = await benchThreads(options.threads);
const conversationLevels = [1, 2, 4, 8];
const historyLevels = [256, 1024, 4096];
const settings = {
  model,
  threads,
  conversationHistoryTokens: 256,
  newTokens: options.quick ? 32 : 64,
  repetitions: options.quick ? 1 : 3,
  nativeDepthReference: !options.quick,
};
let variant = 0;

// Conversations: one context with a sequence per conversation, as `anychat serve --parallel 8` runs.
const batched = await createLlamaCppBackend({ backend: 'llamacpp', model: modelPath, threads, parallel: 8, contextSize: 512 });
await traceGeneration(batched, await makeFixedLengthPrompt(batched, 64, variant++), 8, 0);
const conversations = [];
let lastRoundMilliseconds = 0;
for (const count of conversationLevels) {
  // A loaded shared box can slow ggml's spinning threads a hundredfold; the budget keeps the run bounded then.
  if (!budget.allows(lastRoundMilliseconds)) {
    skipped.push(`${count} conversations: time budget spent`);
    continue;
  }
  const rounds = [];
  for (let repetition = 0; repetition < settings.repetitions; repetition++) {
    const prompts = await Promise.all(Array.from({ length: count }, () => makeFixedLengthPrompt(batched, settings.conversationHistoryTokens, variant++)));
    const startedAt = performance.now();
    const traces = await Promise.all(prompts.map((prompt, index) => traceGeneration(batched, prompt, settings.newTokens, index)));
    const wallMilliseconds = performance.now() - startedAt;
    const tokens = traces.reduce((sum, trace) => sum + trace.completionTokens, 0);
    // Steady state: from the moment the last conversation got its first token (every prompt is
    // in) until the first one finishes (every sequence is still in the batch).
    const allDecodingFrom = Math.max(...traces.map((trace) => trace.tokenTimes[0] ?? trace.endedAt));
    const allDecodingUntil = Math.min(...traces.map((trace) => trace.tokenTimes.at(-1) ?? trace.endedAt));
    const steadyTokens = traces.reduce((sum, trace) => sum + trace.tokenTimes.filter((time) => time > allDecodingFrom && time <= allDecodingUntil).length, 0);
    const steadyDecodeTokensPerSecond = allDecodingUntil > allDecodingFrom ? (steadyTokens * 1000) / (allDecodingUntil - allDecodingFrom) : Number.NaN;
    rounds.push({ wallMilliseconds, aggregateTokensPerSecond: (tokens * 1000) / wallMilliseconds, steadyDecodeTokensPerSecond, traces: traces.map(({ tokenTimes: _tokenTimes, ...trace }) => trace) });
    lastRoundMilliseconds = wallMilliseconds * 1.5;
  }
  const level = {
    conversations: count,
    aggregateTokensPerSecond: median(rounds.map((round) => round.aggregateTokensPerSecond)),
    steadyDecodeTokensPerSecond: median(rounds.map((round) => round.steadyDecodeTokensPerSecond)),
    perConversationDecodeTokensPerSecond: median(rounds.flatMap((round) => round.traces.map((trace) => trace.decodeTokensPerSecond))),
    timeToFirstTokenMs: median(rounds.flatMap((round) => round.traces.map((trace) => trace.timeToFirstTokenMs))),
    rounds,
  };
  console.log(
    `${count} conversation(s): ${level.aggregateTokensPerSecond.toFixed(1)} tok/s end to end, ${level.steadyDecodeTokensPerSecond.toFixed(1)} tok/s while all decode, ` +
      `${level.perConversationDecodeTokensPerSecond.toFixed(1)} tok/s each`,
  );
  conversations.push(level);
}
await batched.close();

// History: one conversation whose prompt is the whole history, at three lengths.
const single = await createLlamaCppBackend({ backend: 'llamacpp', model: modelPath, threads, parallel: 1, contextSize: Math.max(...historyLevels) + 128 });
await traceGeneration(single, await makeFixedLengthPrompt(single, 64, variant++), 8, 0);
const history = [];
let promptTokensPerSecondSoFar = 0;
for (const historyTokens of historyLevels) {
  const expectedMilliseconds = promptTokensPerSecondSoFar > 0 ? (historyTokens * 1000 * settings.repetitions) / promptTokensPerSecondSoFar : 0;
  if (!budget.allows(expectedMilliseconds)) {
    skipped.push(`${historyTokens} tokens of history: time budget spent (would take about ${(expectedMilliseconds / 1000).toFixed(0)} s)`);
    continue;
  }
  const traces: Omit<GenerationTrace, 'tokenTimes'>[] = [];
  for (let repetition = 0; repetition < settings.repetitions; repetition++) {
    const { tokenTimes: _tokenTimes, ...trace } = await traceGeneration(single, await makeFixedLengthPrompt(single, historyTokens, variant++), settings.newTokens, repetition);
    traces.push(trace);
  }
  const level = {
    historyTokens,
    timeToFirstTokenMs: median(traces.map((trace) => trace.timeToFirstTokenMs)),
    promptTokensPerSecond: (historyTokens * 1000) / median(traces.map((trace) => trace.timeToFirstTokenMs)),
    decodeTokensPerSecond: median(traces.map((trace) => trace.decodeTokensPerSecond)),
    traces,
  };
  promptTokensPerSecondSoFar = level.promptTokensPerSecond;
  console.log(`${historyTokens} tokens of history: first token after ${level.timeToFirstTokenMs.toFixed(0)} ms, then ${level.decodeTokensPerSecond.toFixed(1)} tok/s`);
  history.push(level);
}
await single.close();

// The native reference at the same depths: decode after `-d` tokens of context, and prefill of that many tokens.
let nativeHistory: { historyTokens: number; promptTokensPerSecond: number | null; decodeTokensPerSecond: number | null }[] | null = null;
const native = nativeBinariesIfBuilt();
if (settings.nativeDepthReference && native && budget.allows(60_000)) {
  const depths = historyLevels.join(',');
  const common = ['-m', modelPath, '-t', String(threads), '-r', '1', '-o', 'json'];
  const prefill = JSON.parse((await runCommand(native.benchPath, [...common, '-p', depths, '-n', '0'], { timeoutMilliseconds: 600_000 })).stdout) as { n_prompt: number; avg_ts: number }[];
  const decode = JSON.parse((await runCommand(native.benchPath, [...common, '-p', '0', '-n', String(settings.newTokens), '-d', depths], { timeoutMilliseconds: 600_000 })).stdout) as { n_depth: number; avg_ts: number }[];
  nativeHistory = historyLevels.map((historyTokens) => ({
    historyTokens,
    promptTokensPerSecond: prefill.find((row) => row.n_prompt === historyTokens)?.avg_ts ?? null,
    decodeTokensPerSecond: decode.find((row) => row.n_depth === historyTokens)?.avg_ts ?? null,
  }));
}

const path = await run.write(settings, { conversations, history, nativeHistory, skipped });
console.log(`wrote ${path}`);
