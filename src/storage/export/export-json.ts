import type { ConversationSnapshot, ConversationStore } from '../conversation-store.ts';
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportFile } from './export-format.ts';

/** One conversation with every branch, or null when it does not exist. */
export async function snapshotConversation(store: ConversationStore, conversationId: string): Promise<ConversationSnapshot | null> {
  const conversation = await store.getConversation(conversationId);
  if (!conversation) return null;
  return { conversation, messages: await store.listMessages(conversationId) };
}

/**
 * The export file for the given conversations, or for all of them (newest first) when `ids` is
 * omitted. Ids that do not exist are left out. Serialize with JSON.stringify.
 */
export async function exportConversations(store: ConversationStore, ids?: readonly string[]): Promise<ExportFile> {
  const conversationIds =
    ids ?? (await store.listConversations({ limit: Number.MAX_SAFE_INTEGER })).map((summary) => summary.id);
  const conversations: ConversationSnapshot[] = [];
  for (const id of conversationIds) {
    const snapshot = await snapshotConversation(store, id);
    if (snapshot) conversations.push(snapshot);
  }
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: new Date().toISOString(), conversations };
}
