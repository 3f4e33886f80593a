import type { Selectable } from 'kysely';
import type { Conversation, SentPrompt, StoredMessage } from '../../chat/conversation.ts';
import { asCutAnswer } from '../cut-answers.ts';
import type { ConversationsTable, MessagesTable } from './database-schema.ts';

// `pg` and PGlite both return timestamptz as Date; the domain speaks ISO strings.
const isoTime = (value: Date | string) => new Date(value).toISOString();

export function conversationFromRow(row: Selectable<ConversationsTable>): Conversation {
  return {
    id: row.id,
    title: row.title,
    settings: row.settings,
    activeLeafId: row.active_leaf_id,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}

/** The columns a message is read from, with `answer_cut` worked out in SQL (see messageColumns). */
export type MessageRow = Omit<Selectable<MessagesTable>, 'insertion_order' | 'answer_alive_at' | 'owner_id'> & { answer_cut: boolean };

/** `prompt`: the answer's prompt when it was read, null when left out (listings). */
export function messageFromRow(row: MessageRow, prompt: SentPrompt | null): StoredMessage {
  // Records stored before thinking was kept apart have no `reasoning` field.
  const generation = row.generation ? { ...row.generation, reasoning: row.generation.reasoning ?? null, prompt } : null;
  return {
    id: row.id,
    conversationId: row.conversation_id,
    parentId: row.parent_id,
    role: row.role,
    content: row.content,
    generation: generation && row.answer_cut ? asCutAnswer(generation) : generation,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}

/** An ILIKE pattern matching `text` anywhere, with `%`, `_` and `\` in it taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}
