/**
 * A backend that never stops on its own: it yields `chunk` again and again, as fast as it is
 * pulled, until its signal aborts (like an upstream that ignores max_new_tokens). It counts what
 * it produced, so a test can tell whether a stalled reader paused it.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { estimateTokenCount, type Backend, type GenerationEvent } from '../../src/backends/backend.ts';
import { GenerationMeter } from '../../src/backends/generation-meter.ts';

export interface EndlessBackend extends Backend {
  /** Characters yielded so far, over every generation. */
  readonly producedCharacters: number;
  /** Awaited before each chunk when set: lets a test pace generation by its own reader's progress. */
  pace: (() => Promise<void>) | null;
}

export function createEndlessBackend(chunk = `${'endless '.repeat(128)}`): EndlessBackend {
  let producedCharacters = 0;
  const backend: EndlessBackend = {
    pace: null,
    name: 'echo',
    get producedCharacters() {
      return producedCharacters;
    },
    info: async () => ({
      backend: 'echo',
      modelId: 'endless',
      contextWindow: null,
      chatTemplate: null,
      specialTokens: { bos: null, eos: null },
      input: 'messages',
      exactTokenCount: false,
    }),
    countTokens: async (text) => estimateTokenCount(text),
    async *generate(request, signal): AsyncGenerator<GenerationEvent> {
      const meter = new GenerationMeter();
      const promptTokens = estimateTokenCount(request.messages?.map((message) => message.content).join('\n') ?? request.prompt ?? '');
      while (!signal?.aborted) {
        // One turn of the event loop per chunk, so sockets and timers run meanwhile.
        await nextTurn();
        await backend.pace?.();
        if (signal?.aborted) break;
        meter.recordTokens(1);
        producedCharacters += chunk.length;
        yield { type: 'text-delta', text: chunk };
      }
      yield meter.finish('aborted', promptTokens);
    },
    close: async () => {},
  };
  return backend;
}
