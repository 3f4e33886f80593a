import type { ConversationStore } from '../conversation-store.ts';
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportFile } from './export-format.ts';

type ExportedConversation = ExportFile['conversations'][number];

/** One conversation with every branch and every prompt, or null when it does not exist. */
export async function snapshotConversation(store: ConversationStore, conversationId: string): Promise<ExportedConversation | null> {
  const conversation = await store.getConversation(conversationId);
  if (!conversation) return null;
  // Export is the lossless copy: every answer's exact prompt goes with it.
  const messages = await store.listMessages(conversationId, { includePrompts: true });
  return {
    conversation,
    messages: messages.map((message) => {
      if (!message.generation) return { ...message, generation: null };
      const { prompt } = message.generation;
      // Every stored answer has its prompt; one missing would make a file that cannot be imported.
      if (!prompt) throw new Error(`the prompt of answer ${message.id} is missing from the store`);
      return { ...message, generation: { ...message.generation, prompt } };
    }),
  };
}

/**
 * The export file for the given conversations, or for all of them (newest first) when `ids` is
 * omitted. Ids that do not exist are left out. Serialize with JSON.stringify.
 */
export async function exportConversations(store: ConversationStore, ids?: readonly string[]): Promise<ExportFile> {
  const conversationIds =
    ids ?? (await store.listConversations({ limit: Number.MAX_SAFE_INTEGER })).map((summary) => summary.id);
  const conversations: ExportedConversation[] = [];
  for (const id of conversationIds) {
    const snapshot = await snapshotConversation(store, id);
    if (snapshot) conversations.push(snapshot);
  }
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: new Date().toISOString(), conversations };
}
