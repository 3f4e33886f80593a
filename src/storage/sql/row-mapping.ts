import type { Selectable } from 'kysely';
import type { Conversation, StoredMessage } from '../../chat/conversation.ts';
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

export function messageFromRow(row: Selectable<MessagesTable>): StoredMessage {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    parentId: row.parent_id,
    role: row.role,
    content: row.content,
    generation: row.generation,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}

/** An ILIKE pattern matching `text` anywhere, with `%`, `_` and `\` in it taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}
