import type { LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import type { Backend } from '../../src/backends/backend.ts';
import { resolveGenerationParameters } from '../../src/chat/generation-parameters.ts';

export interface EngineSample {
  promptTokensPerSecond: number;
  decodeTokensPerSecond: number;
  promptTokens: number;
  completionTokens: number;
}

/**
 * Both sides are timed the same way: prompt tokens/s = prompt tokens ÷ time from the call to the
 * first generated token (prompt processing plus one sampling step); decode tokens/s = tokens after
 * the first ÷ time from the first token to the last. Greedy sampling on both, so the sampler costs
 * the same and the difference is what the backend adds per token (detokenizing, UTF-8 hold-back,
 * stop-sequence matching, events, queueing).
 */
export async function sampleBackend(backend: Backend, prompt: string, newTokens: number): Promise<EngineSample> {
  const parameters = resolveGenerationParameters({ temperature: 0, maxNewTokens: newTokens });
  for await (const event of backend.generate({ prompt, parameters })) {
    if (event.type === 'error') throw new Error(`backend error ${event.code}: ${event.message}`);
    if (event.type === 'finish') {
      const { timeToFirstTokenMs, tokensPerSecond } = event.timings;
      if (timeToFirstTokenMs === null || tokensPerSecond === null) throw new Error(`too few tokens generated (${event.reason})`);
      return {
        promptTokensPerSecond: (event.usage.promptTokens * 1000) / timeToFirstTokenMs,
        decodeTokensPerSecond: tokensPerSecond,
        promptTokens: event.usage.promptTokens,
        completionTokens: event.usage.completionTokens,
      };
    }
  }
  throw new Error('the backend stream ended without a finish event');
}

/** The same generation straight through node-llama-cpp: tokens in a loop from `sequence.evaluate`. */
export async function sampleRawEngine(model: LlamaModel, sequence: LlamaContextSequence, prompt: string, newTokens: number): Promise<EngineSample> {
  await sequence.clearHistory();
  const promptTokens = model.tokenize(prompt, true);
  const startedAt = performance.now();
  let firstTokenAt = 0;
  let lastTokenAt = 0;
  let completionTokens = 0;
  for await (const token of sequence.evaluate(promptTokens, { temperature: 0, yieldEogToken: true })) {
    lastTokenAt = performance.now();
    if (completionTokens === 0) firstTokenAt = lastTokenAt;
    completionTokens++;
    if (completionTokens >= newTokens || model.isEogToken(token)) break;
  }
  if (completionTokens < 2) throw new Error('too few tokens generated');
  return {
    promptTokensPerSecond: (promptTokens.length * 1000) / (firstTokenAt - startedAt),
    decodeTokensPerSecond: ((completionTokens - 1) * 1000) / (lastTokenAt - firstTokenAt),
    promptTokens: promptTokens.length,
    completionTokens,
  };
}
