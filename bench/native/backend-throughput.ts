import type { Backend, GenerationTimings } from '../../src/backends/backend.ts';
import { resolveGenerationParameters } from '../../src/chat/generation-parameters.ts';
import { makeFixedLengthPrompt } from './fixed-length-prompt.ts';
import type { ThroughputSample } from './llama-bench-runner.ts';

export interface BackendThroughputSample extends ThroughputSample {
  completionTokens: number;
  finishReason: string;
  timeToFirstTokenMs: number;
}

/**
 * One generation through anychat's backend interface, as the server and the CLI call it:
 * a prompt of exactly `promptTokens` tokens, then up to `generatedTokens` sampled tokens.
 * Prompt tokens/s = prompt tokens ÷ time to the first token (which also pays for tokenizing the
 * text and sampling that first token; llama-bench's pp test does neither). Decode tokens/s is the
 * backend's own meter: tokens after the first ÷ time between first and last.
 */
export async function measureBackendThroughput(
  backend: Backend,
  options: { promptTokens: number; generatedTokens: number; variant: number },
): Promise<BackendThroughputSample> {
  const prompt = await makeFixedLengthPrompt(backend, options.promptTokens, options.variant);
  // anychat's default sampling (temperature 0.7), seeded: what a user's request costs, and
  // random-weight models rarely sample their end token under it, so runs reach full length.
  const parameters = resolveGenerationParameters({ maxNewTokens: options.generatedTokens, seed: options.variant });
  let timings: GenerationTimings | undefined;
  let completionTokens = 0;
  let finishReason = 'none';
  for await (const event of backend.generate({ prompt, parameters })) {
    if (event.type === 'error') throw new Error(`backend error ${event.code}: ${event.message}`);
    if (event.type === 'finish') {
      timings = event.timings;
      completionTokens = event.usage.completionTokens;
      finishReason = event.reason;
    }
  }
  if (!timings?.timeToFirstTokenMs || !timings.tokensPerSecond) throw new Error(`generation produced too few tokens (${completionTokens}, ${finishReason})`);
  return {
    promptTokensPerSecond: (options.promptTokens * 1000) / timings.timeToFirstTokenMs,
    decodeTokensPerSecond: timings.tokensPerSecond,
    completionTokens,
    finishReason,
    timeToFirstTokenMs: timings.timeToFirstTokenMs,
  };
}
