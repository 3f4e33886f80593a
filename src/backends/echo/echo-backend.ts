import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { StopSequenceMatcher } from '../../chat/stop-sequence-matcher.ts';
import { estimateTokenCount, type Backend, type BackendInfo, type GenerationEvent, type GenerationRequest } from '../backend.ts';
import { GenerationMeter } from '../generation-meter.ts';

export const echoBackendConfigSchema = z.object({
  backend: z.literal('echo'),
  /** Milliseconds between words; 0 streams as fast as the consumer reads. */
  delayMs: z.number().min(0).default(0),
  contextWindow: z.number().int().positive().default(4096),
});
export type EchoBackendConfig = z.input<typeof echoBackendConfigSchema>;

/** Splits text into "words" that keep their leading whitespace, so joining them restores the text. */
export function splitIntoWords(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

/**
 * No model: streams the last user message back word by word. Demos, browser tests and server
 * benchmarks use it because its output is known in advance and costs no compute.
 */
export function createEchoBackend(config: EchoBackendConfig): Backend {
  const { delayMs, contextWindow } = echoBackendConfigSchema.parse(config);
  const info: BackendInfo = {
    backend: 'echo',
    modelId: 'echo',
    contextWindow,
    chatTemplate: null,
    specialTokens: { bos: null, eos: null },
    input: 'messages',
    exactTokenCount: false,
  };

  return {
    name: 'echo',
    info: async () => info,
    countTokens: async (text) => estimateTokenCount(text),
    async *generate(request: GenerationRequest, signal?: AbortSignal): AsyncGenerator<GenerationEvent> {
      const meter = new GenerationMeter();
      const lastUserMessage = request.messages?.findLast((message) => message.role === 'user')?.content;
      const source = lastUserMessage ?? request.prompt ?? '';
      const promptTokens = estimateTokenCount(request.prompt ?? request.messages?.map((m) => m.content).join('\n') ?? '');
      const matcher = new StopSequenceMatcher(request.parameters.stop);
      const words = splitIntoWords(source);
      for (const [index, word] of words.entries()) {
        if (signal?.aborted) {
          yield meter.finish('aborted', promptTokens);
          return;
        }
        if (index >= request.parameters.maxNewTokens) {
          yield meter.finish('length', promptTokens);
          return;
        }
        if (delayMs > 0) {
          try {
            await sleep(delayMs, undefined, { signal });
          } catch {
            yield meter.finish('aborted', promptTokens);
            return;
          }
        }
        meter.recordTokens(1);
        const { text, stopped } = matcher.push(word);
        if (text) yield { type: 'text-delta', text };
        if (stopped) {
          yield meter.finish('stop', promptTokens);
          return;
        }
      }
      const rest = matcher.flush();
      if (rest) yield { type: 'text-delta', text: rest };
      yield meter.finish('eos', promptTokens);
    },
    close: async () => {},
  };
}
