import { decodeCeilings } from './decode-ceiling.ts';
import { fixed, markdownTable, mebibytes, percentOf } from './markdown-format.ts';
import type { EngineVsNativeResults, MemoryBandwidthResults } from './results-types.ts';

export function renderPhysicalLimit(bandwidth: MemoryBandwidthResults | undefined, engine: EngineVsNativeResults | undefined): string | null {
  if (!bandwidth) return null;
  const lines = [
    '## 2. The physical limit: memory bandwidth',
    '',
    `STREAM-like probe (\`bench/bandwidth/stream.c\`, gcc -O3 -march=native${bandwidth.settings.openMp ? ' -fopenmp' : ''}, ` +
      `${bandwidth.settings.threads} threads, ${bandwidth.settings.repetitions} repetitions; GB/s = 10⁹ bytes/s). ` +
      `Working sets: one far beyond the ${mebibytes(bandwidth.settings.lastLevelCacheBytes)} last-level cache (DRAM), and one the size of each model's weights, ` +
      'since a model smaller than L3 can decode partly from cache.',
    '',
    markdownTable(
      ['Working set', 'Array size', 'read best / median', 'copy best', 'triad best'],
      bandwidth.results.workingSets.map((set) => [
        set.label,
        mebibytes(set.arrayBytes),
        `${fixed(set.kernels.read.best)} / ${fixed(set.kernels.read.median)}`,
        fixed(set.kernels.copy.best),
        fixed(set.kernels.triad.best),
      ]),
    ),
  ];
  if (engine) {
    const ceilings = decodeCeilings(engine, bandwidth);
    lines.push(
      '',
      'Decode ceiling = read bandwidth (best, model-sized working set) ÷ bytes read per token (all weight tensors, the tied embedding read once as the output matrix, ' +
        'plus the f16 KV cache at the mean decode position).',
      '',
      markdownTable(
        ['Model', 'Threads', 'MiB read per token', 'Ceiling tok/s', 'DRAM ceiling tok/s', 'anychat tok/s', 'anychat fraction', 'llama-bench fraction'],
        ceilings.map((ceiling) => [
          ceiling.model,
          ceiling.threads,
          fixed(ceiling.bytesPerToken / 1024 ** 2),
          fixed(ceiling.ceilingTokensPerSecond),
          fixed(ceiling.dramCeilingTokensPerSecond),
          fixed(ceiling.anychatTokensPerSecond),
          `**${percentOf(ceiling.anychatFraction)}**`,
          percentOf(ceiling.nativeFraction),
        ]),
      ),
    );
  }
  return lines.join('\n');
}
