import type { Transaction } from 'kysely';
import type { ConversationSnapshot, ImportedConversation } from '../conversation-store.ts';
import { parentsFirst, withFreeIds } from '../snapshot-import-plan.ts';
import type { Database } from './database-schema.ts';
import { storablePrompt, storableRecord } from './message-columns.ts';
import { storableJson, storableText } from './storable-text.ts';

// PostgreSQL takes at most 65,535 parameters per statement; 1,000 rows of 8 columns stay well under.
const ROWS_PER_STATEMENT = 1_000;

/** The ids among the snapshots' conversations and messages that the database already holds. */
export async function takenIds(
  transaction: Transaction<Database>,
  snapshots: readonly ConversationSnapshot[],
): Promise<Set<string>> {
  const taken = new Set<string>();
  const conversationIds = snapshots.map((snapshot) => snapshot.conversation.id);
  const messageIds = snapshots.flatMap((snapshot) => snapshot.messages.map((message) => message.id));
  for (const ids of chunks(conversationIds)) {
    const rows = await transaction.selectFrom('conversations').select('id').where('id', 'in', ids).execute();
    for (const row of rows) taken.add(row.id);
  }
  for (const ids of chunks(messageIds)) {
    const rows = await transaction.selectFrom('messages').select('id').where('id', 'in', ids).execute();
    for (const row of rows) taken.add(row.id);
  }
  return taken;
}

/**
 * Inserts one conversation with all its messages, under fresh ids if any of its ids is taken
 * (always, when `taken` is null), owned by `ownerId`.
 */
export async function insertSnapshot(
  transaction: Transaction<Database>,
  original: ConversationSnapshot,
  taken: Set<string> | null,
  ownerId: string | null,
): Promise<ImportedConversation> {
  const { conversation, messages } = withFreeIds(original, (id) => taken === null || taken.has(id));
  // The active leaf points into messages, so it is set once they exist.
  await transaction
    .insertInto('conversations')
    .values({
      id: conversation.id,
      title: storableText(conversation.title),
      settings: storableJson(conversation.settings),
      active_leaf_id: null,
      created_at: conversation.createdAt,
      updated_at: conversation.updatedAt,
      owner_id: ownerId,
    })
    .execute();
  for (const batch of chunks(parentsFirst(messages))) {
    await transaction
      .insertInto('messages')
      .values(
        batch.map((message) => ({
          id: message.id,
          conversation_id: conversation.id,
          parent_id: message.parentId,
          role: message.role,
          content: storableText(message.content),
          generation: message.generation ? storableRecord(message.generation) : null,
          created_at: message.createdAt,
          updated_at: message.updatedAt,
          owner_id: ownerId,
        })),
      )
      .execute();
    const prompts = batch.flatMap((message) =>
      message.generation?.prompt ? [{ message_id: message.id, prompt: storablePrompt(message.generation.prompt) }] : [],
    );
    if (prompts.length > 0) await transaction.insertInto('answer_prompts').values(prompts).execute();
  }
  if (conversation.activeLeafId) {
    await transaction
      .updateTable('conversations')
      .set({ active_leaf_id: conversation.activeLeafId })
      .where('id', '=', conversation.id)
      .execute();
  }
  taken?.add(conversation.id);
  for (const message of messages) taken?.add(message.id);
  return { sourceId: original.conversation.id, id: conversation.id, title: conversation.title };
}

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += ROWS_PER_STATEMENT) {
    result.push(items.slice(start, start + ROWS_PER_STATEMENT));
  }
  return result;
}
