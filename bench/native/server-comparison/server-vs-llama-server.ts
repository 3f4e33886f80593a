/**
 * `npm run bench:server-native`: `anychat serve` (its OpenAI and TGI endpoints) against native
 * `llama-server` (OpenAI endpoint), same model, slots, context and threads, with 1, 4 and 8
 * concurrent streaming clients on 127.0.0.1. Rounds are interleaved across the targets.
 * Writes bench/results/server-vs-llama-server.json. Flags: --quick, --budget-seconds N.
 */
import { parseBenchArguments, TimeBudget } from '../../lib/bench-arguments.ts';
import { startBenchmark } from '../../lib/results-file.ts';
import { median, pairedRatio, percentile } from '../../lib/statistics.ts';
import { benchModelPath } from '../bench-models.ts';
import { nativeBinariesIfBuilt } from '../native-llama-build.ts';
import { runConcurrentLoad, type LoadRound } from './concurrent-load.ts';
import { anychatServeExists, startAnychatServe, startLlamaServer, type ServerSettings, type ServerTarget } from './server-targets.ts';
import { runStreamingRequest, type StreamingRequestOptions } from './streaming-request.ts';
import { benchThreads } from '../../lib/engine-threads.ts';
import { templatedPromptRenderer } from './templated-prompt.ts';

const options = parseBenchArguments();
const run = startBenchmark('server-vs-llama-server', options.quick);
const budget = new TimeBudget(options.budgetSeconds ?? (options.quick ? 120 : 900));
const model = 'smollm2-135m-shape-q8_0';
const clientLevels = [1, 4, 8];
const settings: ServerSettings & { repetitions: number; requestsPerClient: number; maxTokens: number; model: string } = {
  model,
  modelPath: await benchModelPath(model),
  parallel: 8,
  contextPerSequence: 512,
  threads: await benchThreads(options.threads),
  repetitions: options.quick ? 2 : 4,
  requestsPerClient: options.quick ? 2 : 3,
  maxTokens: options.quick ? 32 : 64,
};
const notes: string[] = [];
const targets: ServerTarget[] = [];
const renderChatPrompt = await templatedPromptRenderer(settings.modelPath);

const native = nativeBinariesIfBuilt();
if (native) targets.push({ label: 'llama-server (OpenAI)', server: await startLlamaServer(native.serverPath, settings), api: 'openai' });
else notes.push('llama-server is not built: run `npm run bench:native:build` (about 40 minutes on two cores) and rerun.');
if (anychatServeExists()) {
  try {
    const anychat = await startAnychatServe(settings);
    targets.push({ label: 'anychat serve (OpenAI)', server: anychat, api: 'openai' }, { label: 'anychat serve (TGI)', server: anychat, api: 'tgi' });
  } catch (error) {
    notes.push(`anychat serve did not start: ${(error as Error).message.split('\n')[0]}`);
  }
} else {
  notes.push('anychat serve is missing (src/cli/serve.ts does not exist yet); only the reference was measured.');
}

/** Distinct first words per request, so no server answers from a cached prompt prefix. */
function requestFor(target: ServerTarget, client: number, index: number, repetition: number): StreamingRequestOptions {
  const message = `Request ${repetition}-${client}-${index}: write a short story about a lighthouse keeper and a storm at sea.`;
  // Like for like: TGI's raw `inputs` get the chat template the OpenAI rows apply on the server.
  const text = target.api === 'tgi' ? renderChatPrompt(message) : message;
  return { baseUrl: target.server.baseUrl, api: target.api, text, maxTokens: settings.maxTokens, seed: 1000 * repetition + 10 * client + index };
}

/** The first request after loading pays page faults and graph setup; retried because /health may answer before the model is ready. */
async function warmUp(target: ServerTarget): Promise<void> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const trace = await runStreamingRequest({ ...requestFor(target, 99, 0, 99), maxTokens: 8 });
    if (trace.error === null && trace.firstTokenAt !== null) return;
    if (attempt === 59) throw new Error(`${target.label} never answered: ${trace.error}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const rounds: Record<string, Record<number, LoadRound[]>> = Object.fromEntries(targets.map((target) => [target.label, {}]));
try {
  for (const target of targets) await warmUp(target);
  let repetitionMilliseconds = 0;
  for (let repetition = 0; repetition < settings.repetitions && targets.length > 0; repetition++) {
    if (repetition >= 1 && !budget.allows(repetitionMilliseconds)) {
      notes.push(`stopped after ${repetition} repetition(s): time budget spent`);
      break;
    }
    const repetitionStartedAt = performance.now();
    for (const clients of clientLevels) {
      // Rotate the order each repetition so no target always follows the same neighbour.
      const order = targets.map((_, index) => targets[(index + repetition) % targets.length] as ServerTarget);
      for (const target of order) {
        const round = await runConcurrentLoad({
          clients,
          requestsPerClient: settings.requestsPerClient,
          request: (client, index) => requestFor(target, client, index, repetition),
        });
        (rounds[target.label] as Record<number, LoadRound[]>)[clients] ??= [];
        (rounds[target.label] as Record<number, LoadRound[]>)[clients]?.push(round);
        console.log(
          `${target.label.padEnd(24)} ${clients} client(s): ${round.aggregateTokensPerSecond.toFixed(1)} tok/s, ` +
            `TTFT p50 ${round.timeToFirstTokenMs.p50.toFixed(0)} ms, ITL p99 ${round.interTokenDelayMs.p99.toFixed(0)} ms` +
            (round.failedRequests ? `, ${round.failedRequests} failed` : ''),
        );
      }
    }
    repetitionMilliseconds = performance.now() - repetitionStartedAt;
  }
} finally {
  await Promise.all([...new Set(targets.map((target) => target.server))].map((server) => server.stop()));
}

/** Pools every request of every repetition for the percentiles; throughput is a median of rounds. */
function summarizeLevel(levelRounds: LoadRound[]) {
  const traces = levelRounds.flatMap((round) => round.traces).filter((trace) => trace.error === null && trace.firstTokenAt !== null);
  const timesToFirstToken = traces.map((trace) => (trace.firstTokenAt as number) - trace.startedAt);
  const gaps = traces.flatMap((trace) => trace.tokenTimes.slice(1).map((time, index) => time - (trace.tokenTimes[index] as number)));
  return {
    rounds: levelRounds.length,
    requests: traces.length,
    failedRequests: levelRounds.reduce((sum, round) => sum + round.failedRequests, 0),
    retriedRequests: levelRounds.reduce((sum, round) => sum + round.retriedRequests, 0),
    aggregateTokensPerSecond: median(levelRounds.map((round) => round.aggregateTokensPerSecond)),
    aggregateTokensPerSecondSamples: levelRounds.map((round) => round.aggregateTokensPerSecond),
    timeToFirstTokenMs: { p50: percentile(timesToFirstToken, 50), p99: percentile(timesToFirstToken, 99) },
    interTokenDelayMs: { p50: percentile(gaps, 50), p99: percentile(gaps, 99) },
  };
}

const reference = 'llama-server (OpenAI)';
const summary = Object.fromEntries(
  Object.entries(rounds).map(([label, byLevel]) => [
    label,
    Object.fromEntries(
      Object.entries(byLevel).map(([clients, levelRounds]) => {
        const level = summarizeLevel(levelRounds);
        const referenceRounds = rounds[reference]?.[Number(clients)];
        const referenceLevel = referenceRounds ? summarizeLevel(referenceRounds) : undefined;
        const comparison = referenceLevel && label !== reference
          ? {
              throughputRatio: pairedRatio(level.aggregateTokensPerSecondSamples, referenceLevel.aggregateTokensPerSecondSamples),
              extraTimeToFirstTokenP50Ms: level.timeToFirstTokenMs.p50 - referenceLevel.timeToFirstTokenMs.p50,
              extraTimeToFirstTokenP99Ms: level.timeToFirstTokenMs.p99 - referenceLevel.timeToFirstTokenMs.p99,
            }
          : null;
        return [clients, { ...level, comparison }];
      }),
    ),
  ]),
);

// Raw traces are kept relative to each request's start, which is all the percentiles need and a tenth of the size.
const rawRounds = Object.fromEntries(
  Object.entries(rounds).map(([label, byLevel]) => [
    label,
    Object.fromEntries(
      Object.entries(byLevel).map(([clients, levelRounds]) => [
        clients,
        levelRounds.map((round) => ({
          wallMilliseconds: Math.round(round.wallMilliseconds),
          aggregateTokensPerSecond: round.aggregateTokensPerSecond,
          requests: round.traces.map((trace) => ({
            completionTokens: trace.completionTokens,
            error: trace.error,
            tokenOffsetsMs: trace.tokenTimes.map((time) => Math.round((time - trace.startedAt) * 10) / 10),
          })),
        })),
      ]),
    ),
  ]),
);

const path = await run.write(
  { ...settings, clientLevels, reference, targets: targets.map((target) => target.label), targetsGoal: { minimumThroughputRatio: 1, maximumExtraTimeToFirstTokenMs: 5 } },
  { notes, summary, rounds: rawRounds },
);
console.log(`wrote ${path}`);
