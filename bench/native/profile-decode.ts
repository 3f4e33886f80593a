/**
 * `npm run bench:profile`: where anychat's time goes around the engine. Runs a decode workload
 * in a child under `node --cpu-prof` (one conversation, then several at once on one context)
 * and summarizes the main thread's profile by origin and by function.
 * Writes bench/results/decode-profile.json and keeps the .cpuprofile in .cache/profiles/
 * (open it in Chrome DevTools or speedscope for the full picture).
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repositoryRoot } from '../../scripts/test-models/repository-root.ts';
import { createLlamaCppBackend } from '../../src/backends/llamacpp/llamacpp-backend.ts';
import { parseBenchArguments } from '../lib/bench-arguments.ts';
import { benchThreads } from '../lib/engine-threads.ts';
import { startBenchmark } from '../lib/results-file.ts';
import { runCommand } from '../lib/run-command.ts';
import { benchModelPath } from './bench-models.ts';
import { summarizeCpuProfile } from './cpu-profile-summary.ts';
import { makeFixedLengthPrompt } from './fixed-length-prompt.ts';
import { traceGeneration } from './generation-trace.ts';

const model = 'smollm2-135m-shape-q8_0';
const workloadVariable = 'ANYCHAT_PROFILE_WORKLOAD';
const options = parseBenchArguments();

if (process.env[workloadVariable]) {
  const { threads, conversations, newTokens } = JSON.parse(process.env[workloadVariable]) as { threads: number; conversations: number; newTokens: number };
  const backend = await createLlamaCppBackend({ backend: 'llamacpp', model: await benchModelPath(model), threads, parallel: conversations, contextSize: 512 });
  const prompts = await Promise.all(Array.from({ length: conversations }, (_, index) => makeFixedLengthPrompt(backend, 128, 500 + index)));
  await traceGeneration(backend, prompts[0] as string, 4, 0);
  const startedAt = performance.now();
  const windowStart = Number(process.hrtime.bigint() / 1000n);
  const traces = await Promise.all(prompts.map((prompt, index) => traceGeneration(backend, prompt, newTokens, index)));
  const tokens = traces.reduce((sum, trace) => sum + trace.completionTokens, 0);
  const windowEnd = Number(process.hrtime.bigint() / 1000n);
  console.log(JSON.stringify({ wallMilliseconds: performance.now() - startedAt, tokens, window: { startMicroseconds: windowStart, endMicroseconds: windowEnd }, decodeTokensPerSecond: traces.map((trace) => trace.decodeTokensPerSecond) }));
  await backend.close();
} else {
  const run = startBenchmark('decode-profile', options.quick);
  const threads = await benchThreads(options.threads);
  const profileRoot = join(repositoryRoot, '.cache', 'profiles');
  const workloads = [];
  for (const conversations of options.quick ? [1, 4] : [1, 4, 8]) {
    const directory = join(profileRoot, `decode-${conversations}`);
    await rm(directory, { recursive: true, force: true });
    const settings = { threads, conversations, newTokens: options.quick ? 48 : 96 };
    const { stdout } = await runCommand(
      process.execPath,
      ['--cpu-prof', '--cpu-prof-dir', directory, '--import', 'tsx', fileURLToPath(import.meta.url)],
      { environment: { [workloadVariable]: JSON.stringify(settings) }, timeoutMilliseconds: 300_000 },
    );
    const [profileFile] = (await readdir(directory)).filter((file) => file.endsWith('.cpuprofile'));
    const profile = JSON.parse(await readFile(join(directory, profileFile as string), 'utf8'));
    const outcome = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
      wallMilliseconds: number;
      tokens: number;
      window: { startMicroseconds: number; endMicroseconds: number };
    };
    const summary = summarizeCpuProfile(profile, outcome.window);
    console.log(`${conversations} conversation(s): ${outcome.tokens} tokens in ${outcome.wallMilliseconds.toFixed(0)} ms; main thread by origin (ms): ${JSON.stringify(summary.byOrigin)}`);
    workloads.push({ ...settings, outcome, profilePath: join(directory, profileFile as string), summary });
  }
  console.log(`wrote ${await run.write({ model, threads }, { workloads })}`);
}
