import type { StoredMessage } from '../../chat/conversation.ts';
import type { AnswerStreamEvent } from './app-api-events.ts';

/**
 * The event that ends a stream, told from the stored answer: `answer-finish` when it finished
 * (done, or stopped with its usage), `answer-error` otherwise, which includes an answer whose
 * server died mid-answer (still `streaming`, or reported `disconnected` by the store).
 */
export function answerEndEvent(message: StoredMessage): AnswerStreamEvent {
  const generation = message.generation;
  if (generation && generation.status !== 'streaming' && generation.status !== 'error' && generation.finishReason && generation.usage && generation.timings) {
    return { type: 'answer-finish', message, reason: generation.finishReason, usage: generation.usage, timings: generation.timings };
  }
  const error = generation?.error ?? { code: 'internal' as const, message: 'this answer is not being generated any more (the server generating it stopped)' };
  return { type: 'answer-error', message, code: error.code, error: error.message };
}
