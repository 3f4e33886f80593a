import { fixed, markdownTable, NOISY_SPREAD, spread, verdictWithNoise } from './markdown-format.ts';
import type { EngineVsNativeResults } from './results-types.ts';

export const MINIMUM_ENGINE_RATIO = 0.97;

export function renderEngineVsNative(results: EngineVsNativeResults): string {
  const { settings } = results;
  const rows = results.results.models.flatMap((model) =>
    (['decode', 'prompt'] as const).map((phase) => {
      const comparison = model[phase];
      return [
        model.model,
        model.threads,
        phase,
        `${fixed(comparison.anychat.median)}${spread(comparison.anychat.relativeSpread)}`,
        `${fixed(comparison.native.median)}${spread(comparison.native.relativeSpread)}`,
        `**${fixed(comparison.ratio.median, 3)}**${spread(comparison.ratio.relativeSpread)}`,
        `${comparison.ratio.count}`,
        verdictWithNoise(comparison.ratio.median >= MINIMUM_ENGINE_RATIO, comparison.ratio.relativeSpread),
      ];
    }),
  );
  return [
    '## 1. Engine against native llama.cpp',
    '',
    `anychat's \`llamacpp\` backend (node-llama-cpp, through \`Backend.generate\`) against native \`llama-bench\` built from the same llama.cpp commit ` +
      `(\`${settings.nativeCommit.slice(0, 12)}\`, \`-DGGML_NATIVE=ON\`, CPU only). Same model file and threads (anychat's default of cores − 1, here ${settings.threads}, and in full runs every core too), ` +
      `${settings.promptTokens}-token prompt, ${settings.generatedTokens} generated tokens, interleaved pairs; ratio = median of per-pair ratios (anychat ÷ native), spread = IQR/2. ` +
      `Target: ratio ≥ ${MINIMUM_ENGINE_RATIO}.`,
    '',
    markdownTable(['Model', 'Threads', 'Phase', 'anychat tok/s', 'llama-bench tok/s', 'Ratio', 'Pairs', 'Target'], rows),
    '',
    `A verdict marked (noisy) has a ratio spread above ${NOISY_SPREAD * 100}%: other work on the shared cores moved single samples by more than the margin being judged.`,
    '',
    `Prompt tok/s for anychat = prompt tokens ÷ time to first token, so it also pays for tokenizing the text and sampling the first token; ` +
      `llama-bench's pp test times only \`llama_decode\`. Sampling: ${settings.sampling}.`,
  ].join('\n');
}
