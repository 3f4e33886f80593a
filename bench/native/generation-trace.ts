import type { Backend } from '../../src/backends/backend.ts';
import { resolveGenerationParameters } from '../../src/chat/generation-parameters.ts';

export interface GenerationTrace {
  startedAt: number;
  endedAt: number;
  timeToFirstTokenMs: number;
  decodeTokensPerSecond: number;
  completionTokens: number;
  finishReason: string;
  /** performance.now() of each text delta: lets batch runs count only the tokens made while every conversation was decoding. */
  tokenTimes: number[];
}

/** Runs one generation to the end and keeps the backend's own meter figures plus wall-clock bounds. */
export async function traceGeneration(backend: Backend, prompt: string, maxNewTokens: number, seed: number): Promise<GenerationTrace> {
  const startedAt = performance.now();
  const parameters = resolveGenerationParameters({ maxNewTokens, seed });
  const tokenTimes: number[] = [];
  for await (const event of backend.generate({ prompt, parameters })) {
    if (event.type === 'text-delta') tokenTimes.push(performance.now());
    if (event.type === 'error') throw new Error(`backend error ${event.code}: ${event.message}`);
    if (event.type === 'finish') {
      return {
        startedAt,
        endedAt: performance.now(),
        timeToFirstTokenMs: event.timings.timeToFirstTokenMs ?? Number.NaN,
        decodeTokensPerSecond: event.timings.tokensPerSecond ?? Number.NaN,
        completionTokens: event.usage.completionTokens,
        finishReason: event.reason,
        tokenTimes,
      };
    }
  }
  throw new Error('the generation ended without a finish event');
}
