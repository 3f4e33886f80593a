import { sql } from 'kysely';
import type { GenerationRecord, SentPrompt } from '../../chat/conversation.ts';
import { storableJson } from './storable-text.ts';

/** What a message is read from; `answer_prompts.prompt` is joined in only where it is wanted. */
export const MESSAGE_COLUMNS = [
  'messages.id',
  'messages.conversation_id',
  'messages.parent_id',
  'messages.role',
  'messages.content',
  'messages.generation',
  'messages.created_at',
  'messages.updated_at',
] as const;

/**
 * Whether a `streaming` answer was cut by a crash: no save for `silenceMs` on the database's
 * clock (src/storage/cut-answers.ts). An answer never saved alive (imported, or written before
 * the column existed) counts as cut too: no server is generating it.
 */
export function answerCutExpression(silenceMs: number) {
  return sql<boolean>`coalesce(
    messages.generation ->> 'status' = 'streaming'
      and (messages.answer_alive_at is null or messages.answer_alive_at < now() - make_interval(secs => ${silenceMs / 1000})),
    false
  )`;
}

/** answerCutExpression as the `answer_cut` column of a select. */
export function answerCut(silenceMs: number) {
  return answerCutExpression(silenceMs).as('answer_cut');
}

/** The generation record as the messages table keeps it: the prompt lives in answer_prompts. */
export function storableRecord(generation: GenerationRecord): string {
  const { prompt: _prompt, ...withoutPrompt } = generation;
  return storableJson(withoutPrompt);
}

export function storablePrompt(prompt: SentPrompt): string {
  return storableJson(prompt);
}
