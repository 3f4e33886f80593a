import type { Backend, GenerationEvent } from '../backends/backend.ts';
import type { PreparedGeneration } from './prepare-generation.ts';

/**
 * Streams the answer to a prepared generation, applying what the template asks of the answer:
 * the lesson's plain format leaves a space after "Assistant:", which the user should not see.
 */
export async function* generateAnswer(
  backend: Backend,
  prepared: PreparedGeneration,
  signal?: AbortSignal,
): AsyncGenerator<GenerationEvent> {
  let trimming = prepared.trimLeadingWhitespace;
  for await (const event of backend.generate(prepared.request, signal)) {
    if (trimming && event.type === 'text-delta') {
      const text = event.text.trimStart();
      if (text === '') continue;
      trimming = false;
      yield { ...event, text };
      continue;
    }
    yield event;
  }
}
