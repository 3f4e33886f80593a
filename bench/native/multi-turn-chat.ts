/**
 * `npm run bench:multi-turn`: the chat workload people really run, through `anychat serve` and
 * native `llama-server` over /v1/chat/completions on both sides, same model, threads and greedy
 * sampling. Three measurements:
 * 1. rotation: 8 users × 12 turns, one request at a time in rotation, histories passing the
 *    window (the client leaves out whole quarter-window pages of old turns, identically for both
 *    servers); anychat with --parallel 4 and its prompt cache, llama-server with its defaults
 *    (unified KV cache, its own slots and --cache-ram) and the same total KV cells;
 * 2. overflow: one conversation on anychat's defaults sent whole, so anychat's own drop-oldest
 *    policy fits it: median time to first token after the window fills against before;
 * 3. taking turns: three conversations in rotation on anychat's defaults (--parallel 1) against
 *    one conversation alone.
 * Writes bench/results/multi-turn-chat.json. Flags: --quick, --threads N.
 */
import { parseBenchArguments } from '../lib/bench-arguments.ts';
import { startBenchmark } from '../lib/results-file.ts';
import { median, percentile } from '../lib/statistics.ts';
import { benchThreads } from '../lib/engine-threads.ts';
import { loadLlama } from '../../src/backends/llamacpp/load-llama.ts';
import { defaultBatchThreadCount } from '../../src/backends/llamacpp/llamacpp-config.ts';
import { benchModelPath } from './bench-models.ts';
import { nativeBinariesIfBuilt } from './native-llama-build.ts';
import { startAnychatServe, startLlamaServer } from './server-comparison/server-targets.ts';
import type { RunningServer } from './server-comparison/server-process.ts';
import type { ChatMessageBody } from './multi-turn/chat-turn-request.ts';
import { fitHistory, questionFor, runRotation, type ChatTarget, type TurnRecord } from './multi-turn/chat-workload.ts';

const options = parseBenchArguments();
const run = startBenchmark('multi-turn-chat', options.quick);
const model = 'smollm2-135m-shape-q8_0';
const threads = await benchThreads(options.threads);
const settings = {
  model,
  modelPath: await benchModelPath(model),
  threads,
  threadsBatch: defaultBatchThreadCount((await loadLlama()).cpuMathCores),
  /** Tokens each conversation may hold: anychat's --context-size; llama-server's -c is slots × this. */
  window: options.quick ? 768 : 1024,
  slots: 4,
  users: 8,
  turns: 12,
  maxTokens: options.quick ? 16 : 32,
  overflowTurns: options.quick ? 16 : 30,
  takingTurns: { conversations: 3, turns: options.quick ? 4 : 8 },
};
const notes: string[] = [];
const servers: RunningServer[] = [];

async function metricCounter(baseUrl: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(labels));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

function anychatTarget(label: string, server: RunningServer): ChatTarget {
  return { label, baseUrl: server.baseUrl, promptTokensEvaluated: () => metricCounter(server.baseUrl, 'anychat_engine_prompt_tokens_total', 'source="evaluated"') };
}

/** Message token counts from anychat's /tokenize (the model's own tokenizer), memoized. */
function tokenCounter(baseUrl: string): { prepare: (messages: ChatMessageBody[]) => Promise<void>; tokensOf: (message: ChatMessageBody) => number } {
  const counts = new Map<string, number>();
  return {
    async prepare(messages) {
      for (const message of messages) {
        if (counts.has(message.content)) continue;
        const response = await fetch(`${baseUrl}/tokenize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: message.content }) });
        counts.set(message.content, ((await response.json()) as unknown[]).length);
      }
    },
    tokensOf: (message) => counts.get(message.content) ?? Math.ceil(message.content.length / 3),
  };
}

function summarize(records: TurnRecord[], wallMs: number) {
  const ok = records.filter((record) => record.error === null);
  const ttft = ok.map((record) => record.timeToFirstTokenMs as number);
  const evaluated = ok.flatMap((record) => (record.promptEvaluated === null ? [] : [record.promptEvaluated]));
  const tokens = ok.reduce((sum, record) => sum + record.completionTokens, 0);
  return {
    turns: records.length,
    failedTurns: records.length - ok.length,
    retries: records.reduce((sum, record) => sum + record.retries, 0),
    wallSeconds: wallMs / 1000,
    completionTokens: tokens,
    completionTokensPerSecond: (tokens * 1000) / wallMs,
    timeToFirstTokenMs: { p50: percentile(ttft, 50), p95: percentile(ttft, 95) },
    promptEvaluatedPerTurn: { mean: evaluated.reduce((sum, value) => sum + value, 0) / Math.max(1, evaluated.length), p50: percentile(evaluated, 50), p95: percentile(evaluated, 95) },
    turnsWithDroppedHistory: records.filter((record) => record.droppedTurns > 0).length,
  };
}

const results: Record<string, unknown> = {};
/** The servers cannot share the cores fairly at once, so they take turns: the machine's load over the run (recorded) bears on the ratio. */
const machineNote = 'The two servers run one after the other, each alone on the machine; the load averages recorded at the start and the end of the run show whether other work shared the cores.';
/** Written after each part, so a run cut short keeps what it measured. */
const save = () => run.write(settings, { notes: [...notes, machineNote], ...results });
try {
  // 1. Rotation: anychat (4 sequences, prompt cache) and llama-server (its defaults, same KV cells).
  const anychat = await startAnychatServe({ modelPath: settings.modelPath, parallel: settings.slots, contextPerSequence: settings.window, threads }, ['--threads-batch', String(settings.threadsBatch)]);
  servers.push(anychat);
  const counter = tokenCounter(anychat.baseUrl);
  // Every question and (approximately) every answer is counted before use; answers are counted as they come.
  const tokensOf = (message: ChatMessageBody): number => counter.tokensOf(message);
  await counter.prepare(Array.from({ length: settings.users * settings.turns }, (_, index) => ({ role: 'user' as const, content: questionFor(index % settings.users, Math.floor(index / settings.users)) })));
  const rotationTargets: ChatTarget[] = [anychatTarget('anychat serve', anychat)];
  const native = nativeBinariesIfBuilt();
  if (native) {
    const llamaServer = await startLlamaServer(native.serverPath, { modelPath: settings.modelPath, parallel: settings.slots, contextPerSequence: settings.window, threads }, { defaults: true, threadsBatch: settings.threadsBatch });
    servers.push(llamaServer);
    rotationTargets.unshift({ label: 'llama-server', baseUrl: llamaServer.baseUrl });
  } else {
    notes.push('llama-server is not built (npm run bench:native:build): the rotation ran on anychat only.');
  }
  const rotation: Record<string, ReturnType<typeof summarize> & { records: TurnRecord[] }> = {};
  for (const target of rotationTargets) {
    await runRotation(target, { users: 1, turns: 1, maxTokens: 4, tokensOf, window: settings.window, fitOnClient: true, firstUser: 99 }); // warm-up
    const { wallMs, records } = await runRotation(target, { users: settings.users, turns: settings.turns, maxTokens: settings.maxTokens, tokensOf, window: settings.window, fitOnClient: true, prepare: counter.prepare });
    rotation[target.label] = { ...summarize(records, wallMs), records };
    console.log(`${target.label}: ${JSON.stringify(summarize(records, wallMs))}`);
  }
  results.rotation = rotation;
  await save();
  for (const server of servers.splice(0)) await server.stop();

  // 2 and 3 on anychat's defaults (one sequence, default prompt cache and overflow policy).
  const defaults = await startAnychatServe({ modelPath: settings.modelPath, parallel: 1, contextPerSequence: settings.window, threads }, ['--threads-batch', String(settings.threadsBatch)]);
  servers.push(defaults);
  const defaultsTarget = anychatTarget('anychat serve (defaults)', defaults);
  const defaultsCounter = tokenCounter(defaults.baseUrl);
  await runRotation(defaultsTarget, { users: 1, turns: 1, maxTokens: 4, tokensOf: defaultsCounter.tokensOf, window: settings.window, fitOnClient: false, firstUser: 99 });

  const overflow = await runRotation(
    { ...defaultsTarget },
    { users: 1, turns: settings.overflowTurns, maxTokens: settings.maxTokens, tokensOf: defaultsCounter.tokensOf, prepare: defaultsCounter.prepare, window: settings.window, fitOnClient: false, firstUser: 50 },
  );
  // The client sends everything; which turns the server had to fit is what the client's own count says would not fit.
  // Answers are counted at the full max_tokens, an upper bound: the first turn counted as full may still have fitted.
  const answerBound: ChatMessageBody = { role: 'assistant', content: 'x'.repeat(settings.maxTokens * 3) };
  let history: [ChatMessageBody, ChatMessageBody][] = [];
  const overflowed = overflow.records.map((record) => {
    const question: ChatMessageBody = { role: 'user', content: questionFor(50, record.turn) };
    const fitted = fitHistory(history, question, defaultsCounter.tokensOf, { window: settings.window, reserved: settings.maxTokens });
    history = [...history, [question, answerBound]];
    return fitted.droppedTurns > 0;
  });
  const before = overflow.records.filter((record, index) => index > 0 && !overflowed[index] && record.error === null).map((record) => record.timeToFirstTokenMs as number);
  const after = overflow.records.filter((record, index) => overflowed[index] && record.error === null).map((record) => record.timeToFirstTokenMs as number);
  results.overflow = {
    turnsBeforeFull: before.length,
    turnsAfterFull: after.length,
    medianTimeToFirstTokenBeforeMs: median(before),
    medianTimeToFirstTokenAfterMs: median(after),
    ratio: median(after) / median(before),
    records: overflow.records,
  };
  console.log(`overflow: ${median(before).toFixed(0)} ms before the window filled, ${median(after).toFixed(0)} ms after`);
  await save();

  const shared = { maxTokens: settings.maxTokens, tokensOf: defaultsCounter.tokensOf, prepare: defaultsCounter.prepare, window: settings.window, fitOnClient: true };
  const alone = await runRotation(defaultsTarget, { ...shared, users: 1, turns: settings.takingTurns.turns, firstUser: 60 });
  const together = await runRotation(defaultsTarget, { ...shared, users: settings.takingTurns.conversations, turns: settings.takingTurns.turns, firstUser: 70 });
  const laterTurns = (records: TurnRecord[]) => records.filter((record) => record.turn > 0 && record.error === null).map((record) => record.timeToFirstTokenMs as number);
  results.takingTurns = {
    aloneMedianTimeToFirstTokenMs: median(laterTurns(alone.records)),
    togetherMedianTimeToFirstTokenMs: median(laterTurns(together.records)),
    ratio: median(laterTurns(together.records)) / median(laterTurns(alone.records)),
    alone: alone.records,
    together: together.records,
  };
  console.log(`taking turns: ${JSON.stringify({ ...(results.takingTurns as object), alone: undefined, together: undefined })}`);
  results.promptCache = {
    restoredTokens: await metricCounter(defaults.baseUrl, 'anychat_engine_prompt_tokens_restored_total', 'model='),
  };
} finally {
  for (const server of servers) await server.stop();
}
const path = await save();
console.log(`wrote ${path}`);
