import { setTimeout as sleep } from 'node:timers/promises';
import { createEchoBackend } from '../../src/backends/echo/echo-backend.ts';
import type { Backend, GenerationEvent } from '../../src/backends/backend.ts';

/**
 * A backend that streams the script's tokens at the script's rate, whatever it is asked: the page's
 * benchmark needs the same long answer at exactly 100 tokens/s, which no real model gives.
 * Tokens go out in ticks of 10 ms so the rate holds even when timers are coarse.
 */
export interface AnswerScript {
  /** Read when each answer starts, so one server can stream different answers. */
  tokens: string[];
  tokensPerSecond: number;
}

export function createScriptedBackend(script: AnswerScript): Backend {
  const echo = createEchoBackend({ backend: 'echo', contextWindow: 1_000_000 });
  return {
    ...echo,
    async *generate(_request, signal): AsyncGenerator<GenerationEvent> {
      const { tokens, tokensPerSecond } = script;
      const started = performance.now();
      let firstTokenAt: number | null = null;
      let sent = 0;
      while (sent < tokens.length) {
        if (signal?.aborted) break;
        const due = Math.min(tokens.length, Math.floor(((performance.now() - started) / 1000) * tokensPerSecond) + 1);
        if (due > sent) {
          firstTokenAt ??= performance.now();
          yield { type: 'text-delta', text: tokens.slice(sent, due).join('') };
          sent = due;
        }
        await sleep(10);
      }
      const totalMs = performance.now() - started;
      const generationSeconds = firstTokenAt === null ? 0 : (performance.now() - firstTokenAt) / 1000;
      yield {
        type: 'finish',
        reason: signal?.aborted ? 'aborted' : 'eos',
        usage: { promptTokens: 10, completionTokens: sent },
        timings: {
          timeToFirstTokenMs: firstTokenAt === null ? null : firstTokenAt - started,
          tokensPerSecond: generationSeconds > 0 ? sent / generationSeconds : null,
          totalMs,
        },
      };
    },
  };
}
