/**
 * `npm run bench:bandwidth`: this machine's memory bandwidth with a STREAM-like probe in C,
 * measured at a working set far larger than the last-level cache (DRAM) and at each benchmark
 * model's weight size, since a model that fits in L3 decodes from cache, not DRAM.
 * Writes bench/results/memory-bandwidth.json; the report divides it by bytes per token for the
 * decode ceiling.
 */
import { parseBenchArguments } from '../lib/bench-arguments.ts';
import { decodeTraffic } from '../lib/decode-bytes-per-token.ts';
import { machineInfo } from '../lib/machine-info.ts';
import { startBenchmark } from '../lib/results-file.ts';
import { runCommand } from '../lib/run-command.ts';
import { summarize } from '../lib/statistics.ts';
import { benchModelPath, selectBenchModels } from '../native/bench-models.ts';
import { ensureStreamBinary } from './stream-binary.ts';
import { benchThreads } from '../lib/engine-threads.ts';

interface StreamOutput {
  threads: number;
  arrayBytes: number;
  gigabytesPerSecond: { read: number[]; copy: number[]; triad: number[] };
}

const options = parseBenchArguments();
const run = startBenchmark('memory-bandwidth', options.quick);
const threads = await benchThreads(options.threads);
const repetitions = options.quick ? 5 : 20;
const binary = await ensureStreamBinary();
const lastLevelCache = machineInfo().lastLevelCacheBytes ?? 64 * 1024 ** 2;

const workingSets: { label: string; arrayBytes: number }[] = [
  // Twice L3 per array (three arrays in copy/triad), at least 512 MiB: a pass evicts what the last one cached.
  { label: 'dram', arrayBytes: Math.max(2 * lastLevelCache, 512 * 1024 ** 2) },
];
for (const name of selectBenchModels({ quick: options.quick, requested: options.models })) {
  const traffic = await decodeTraffic(await benchModelPath(name));
  workingSets.push({ label: name, arrayBytes: traffic.weightBytesPerToken });
}

const measurements = [];
for (const workingSet of workingSets) {
  const { stdout } = await runCommand(binary.path, [String(Math.round(workingSet.arrayBytes)), String(repetitions)], {
    timeoutMilliseconds: 180_000,
    // The same thread count the engines decode with: bandwidth per core is what bounds them.
    environment: { OMP_NUM_THREADS: String(threads), OMP_PROC_BIND: 'close' },
  });
  const output = JSON.parse(stdout) as StreamOutput;
  const kernels = Object.fromEntries(
    Object.entries(output.gigabytesPerSecond).map(([kernel, samples]) => [kernel, { best: Math.max(...samples), ...summarize(samples) }]),
  );
  console.log(`${workingSet.label.padEnd(26)} ${(workingSet.arrayBytes / 1024 ** 2).toFixed(0).padStart(6)} MiB  read best ${kernels.read?.best.toFixed(1)} GB/s, median ${kernels.read?.median.toFixed(1)}`);
  measurements.push({ ...workingSet, threads: output.threads, samples: output.gigabytesPerSecond, kernels });
}

const path = await run.write(
  { threads, repetitions, binary: binary.compileFlags, openMp: binary.openMp, lastLevelCacheBytes: lastLevelCache, units: 'GB/s (10^9 bytes/s)' },
  { workingSets: measurements },
);
console.log(`wrote ${path}`);
