import type { GenerationEvent } from '../backends/backend.ts';
import { adviceFor } from './failure-advice.ts';

export interface PrintedAnswer {
  text: string;
  last: GenerationEvent | undefined;
}

/** Writes text deltas as they arrive and returns the whole text with the event that ended it. */
export async function printAnswer(events: AsyncIterable<GenerationEvent>, output: NodeJS.WritableStream): Promise<PrintedAnswer> {
  let text = '';
  let last: GenerationEvent | undefined;
  for await (const event of events) {
    last = event;
    if (event.type === 'text-delta') {
      text += event.text;
      output.write(event.text);
    }
  }
  return { text, last };
}

/** One line a person can read: what ended the answer, how many tokens, how fast. */
export function describeEnding(event: GenerationEvent | undefined): string {
  if (!event) return 'the stream ended without a result';
  if (event.type === 'error') return `error (${event.code}): ${event.message} — ${adviceFor(event.code)}`;
  if (event.type !== 'finish') return 'the stream ended early';
  // "stopped", as the page says it: one word for an answer cut short by its reader.
  const parts = [`finish: ${event.reason === 'aborted' ? 'stopped' : event.reason}`, `${event.usage.promptTokens} prompt + ${event.usage.completionTokens} new tokens`];
  if (event.timings.tokensPerSecond !== null) parts.push(`${event.timings.tokensPerSecond.toFixed(1)} tokens/s`);
  if (event.timings.timeToFirstTokenMs !== null) parts.push(`first token after ${Math.round(event.timings.timeToFirstTokenMs)} ms`);
  return parts.join(', ');
}

