/**
 * `npm run bench:server`: how many concurrent SSE streams one anychat process serves on this
 * machine. The echo backend streams at 20 tokens/s (50 ms a word) so the server, not a model, is
 * measured; N = 100, 500 and 1000 clients in a separate process read TGI `/generate_stream` on
 * 127.0.0.1. Reports inter-token delay p50/p99 (ideal: 50 ms), time-to-first-token overhead
 * against calling the backend in-process, and memory per open stream.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createEchoBackend } from '../src/backends/echo/echo-backend.ts';
import { resolveGenerationParameters } from '../src/chat/generation-parameters.ts';
import { buildApp } from '../src/server/build-app.ts';
import { createMemoryConversationStore } from '../test/storage/memory-conversation-store.ts';
import { parseBenchArguments } from './lib/bench-arguments.ts';
import { machineInfo } from './lib/machine-info.ts';
import { replaceMarkdownSection } from './lib/markdown-section.ts';
import { startBenchmark } from './lib/results-file.ts';
import type { LoadRequest, LoadResult } from './lib/sse-load-client.ts';
import { percentile, roundTo } from './lib/statistics.ts';
import { repositoryRoot } from '../scripts/test-models/repository-root.ts';

const arguments_ = parseBenchArguments();
// `--clients 1000` runs one size only (profiling, quick checks).
const onlyClients = parseArgs({ options: { clients: { type: 'string' } }, strict: false }).values.clients;
const settings = {
  tokenDelayMs: 50,
  tokensPerStream: arguments_.quick ? 40 : 100,
  clientCounts: typeof onlyClients === 'string' ? [Number(onlyClients)] : arguments_.quick ? [100, 500] : [100, 500, 1000],
  rampMs: 1000,
  sequentialSamples: 30,
  targetP99InterTokenMs: 100,
};
const benchmark = startBenchmark('server', arguments_.quick);
const machine = machineInfo();
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) process.stderr.write('note: run with node --expose-gc for steadier memory figures (npm run bench:server does)\n');

const backend = createEchoBackend({ backend: 'echo', delayMs: settings.tokenDelayMs, contextWindow: 8192 });
const app = buildApp({
  models: [{ id: 'echo', backend, parallel: 4096, maxQueue: 0 }],
  store: createMemoryConversationStore(),
  webRoot: '/nonexistent',
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

function runClients(load: Omit<LoadRequest, 'baseUrl'>, onAllStreaming?: (child: ReturnType<typeof fork>) => Promise<void>): Promise<LoadResult> {
  const child = fork(join(import.meta.dirname, 'lib', 'sse-load-client.ts'), { execArgv: ['--import', 'tsx'] });
  return new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if (message === 'all-streaming') void onAllStreaming?.(child);
      else resolve(message as LoadResult);
    });
    child.on('error', reject);
    child.send({ ...load, baseUrl } satisfies LoadRequest);
  });
}

/** The floor: the same backend called in-process, no HTTP. */
async function inProcessTimeToFirstToken(): Promise<number[]> {
  const samples: number[] = [];
  const parameters = resolveGenerationParameters({ maxNewTokens: 2 });
  for (let index = 0; index < settings.sequentialSamples; index++) {
    const startedAt = performance.now();
    for await (const event of backend.generate({ prompt: 'w0 w1', parameters })) {
      if (event.type === 'text-delta') {
        samples.push(performance.now() - startedAt);
        break;
      }
    }
  }
  return samples;
}

function countsAtTenthOfMillisecond(values: number[]): Record<string, number> {
  const counts = new Map<number, number>();
  for (const value of values) {
    const rounded = roundTo(value, 1);
    counts.set(rounded, (counts.get(rounded) ?? 0) + 1);
  }
  return Object.fromEntries([...counts.entries()].sort(([left], [right]) => left - right).map(([value, count]) => [value.toFixed(1), count]));
}

const summary = (values: number[]) => ({
  p50: roundTo(percentile(values, 50), 2),
  p90: roundTo(percentile(values, 90), 2),
  p99: roundTo(percentile(values, 99), 2),
  max: roundTo(Math.max(...values), 2),
});

const inProcess = await inProcessTimeToFirstToken();
const sequential = await runClients({ clients: settings.sequentialSamples, tokensPerStream: 2, rampMs: 0, mode: 'sequential' });
const overheadMs = roundTo(percentile(sequential.timeToFirstTokenMs, 50) - percentile(inProcess, 50), 2);
process.stderr.write(`time to first token: in-process p50 ${percentile(inProcess, 50).toFixed(1)} ms, over HTTP p50 ${percentile(sequential.timeToFirstTokenMs, 50).toFixed(1)} ms\n`);

const runs = [];
for (const clients of settings.clientCounts) {
  await sleep(500);
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const timing = await runClients({ clients, tokensPerStream: settings.tokensPerStream, rampMs: settings.rampMs, mode: 'timing' });
  const cpu = process.cpuUsage(cpuBefore);
  // The server's own CPU, a steadier figure than latency on a shared box: a share of one core.
  const serverCpuPercent = roundTo(((cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore)) * 100, 1);
  gc?.();
  await sleep(200);
  const before = process.memoryUsage();
  let during: NodeJS.MemoryUsage | null = null;
  const hold = await runClients({ clients, tokensPerStream: settings.tokensPerStream, rampMs: settings.rampMs, mode: 'hold' }, async (child) => {
    gc?.();
    during = process.memoryUsage();
    child.send('stop');
  });
  const heapPerStreamKiB = during ? roundTo(((during as NodeJS.MemoryUsage).heapUsed - before.heapUsed) / clients / 1024, 1) : null;
  const rssPerStreamKiB = during ? roundTo(((during as NodeJS.MemoryUsage).rss - before.rss) / clients / 1024, 1) : null;
  const run = {
    clients,
    completed: timing.completed,
    errors: [...timing.errors, ...hold.errors.filter((error) => !error.includes('aborted'))].slice(0, 10),
    interTokenMs: summary(timing.interTokenMs),
    timeToFirstTokenMs: summary(timing.timeToFirstTokenMs),
    heapPerStreamKiB,
    rssPerStreamKiB,
    serverCpuPercent,
    samples: {
      // Every inter-token sample, as counts per 0.1 ms: the whole distribution without 100 000 lines of JSON.
      interTokenMsCounts: countsAtTenthOfMillisecond(timing.interTokenMs),
      timeToFirstTokenMs: timing.timeToFirstTokenMs.map((value) => roundTo(value, 2)),
    },
  };
  runs.push(run);
  process.stderr.write(
    `${clients} streams: inter-token p50 ${run.interTokenMs.p50} ms, p99 ${run.interTokenMs.p99} ms; TTFT p50 ${run.timeToFirstTokenMs.p50} ms; ` +
      `${heapPerStreamKiB} KiB heap / ${rssPerStreamKiB} KiB RSS per stream; server CPU ${serverCpuPercent}% of a core; ${run.completed}/${clients} completed, ${run.errors.length} errors\n`,
  );
}
await app.close();

const results = {
  timeToFirstToken: {
    inProcessMs: summary(inProcess),
    overHttpMs: summary(sequential.timeToFirstTokenMs),
    overheadP50Ms: overheadMs,
    samples: { inProcessMs: inProcess.map((value) => roundTo(value, 2)), overHttpMs: sequential.timeToFirstTokenMs.map((value) => roundTo(value, 2)) },
  },
  runs,
};
const resultsPath = await benchmark.write(settings, results);

const rows = runs.map(
  (run) =>
    `| ${run.clients} | ${run.interTokenMs.p50} | ${run.interTokenMs.p99} | ${run.interTokenMs.max} | ${run.timeToFirstTokenMs.p50} | ${run.heapPerStreamKiB ?? '–'} | ${run.rssPerStreamKiB ?? '–'} | ${run.serverCpuPercent}% | ${run.completed}/${run.clients} |`,
);
const largest = runs.at(-1);
const verdict = largest
  ? `${largest.clients} streams: p99 inter-token delay **${largest.interTokenMs.p99} ms** (target < ${settings.targetP99InterTokenMs} ms: ${largest.interTokenMs.p99 < settings.targetP99InterTokenMs ? 'met' : 'not met'}).`
  : '';
await replaceMarkdownSection(
  join(repositoryRoot, 'BENCHMARKS.md'),
  'server',
  `## Server: concurrent SSE streams

Measured by \`npm run bench:server${arguments_.quick ? ' -- --quick' : ''}\` on ${machine.cpuModel}, ${machine.availableCores} cores, ${Math.round(machine.memoryBytes / 1024 ** 3)} GiB (${new Date().toISOString().slice(0, 10)}; 1-minute load ${machine.loadAverageAtStart} at start). Raw samples: \`bench/results/server.json\`.

Echo backend at ${1000 / settings.tokenDelayMs} tokens/s per stream (${settings.tokenDelayMs} ms a token, so the ideal inter-token delay is ${settings.tokenDelayMs} ms), ${settings.tokensPerStream} tokens per stream, TGI \`/generate_stream\` over HTTP on 127.0.0.1, clients in a separate process started over ${settings.rampMs / 1000} s.

| Streams | Inter-token p50 (ms) | p99 (ms) | max (ms) | Time to first token p50 (ms) | Heap per stream (KiB) | RSS per stream (KiB) | Server CPU (one core) | Completed |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

${verdict} Latency on this box depends on what else runs on its two cores (see the load average); the server's own CPU share is the steadier figure. RSS per stream is noisy (the allocator returns pages late); heap per stream is the one to compare.

Time to first token, one client at a time: in-process backend p50 ${results.timeToFirstToken.inProcessMs.p50} ms, over HTTP p50 ${results.timeToFirstToken.overHttpMs.p50} ms: the server adds **${overheadMs} ms**.
`,
);
process.stderr.write(`wrote ${resultsPath} and BENCHMARKS.md\n`);
