import type { Conversation, StoredMessage } from '../../chat/conversation.ts';
import type { ConversationStore } from '../../storage/conversation-store.ts';
import { notFound } from '../http-problem.ts';

/** The conversation an id in a URL names, or a 404 that says so. */
export async function requireConversation(store: ConversationStore, id: string): Promise<Conversation> {
  const conversation = await store.getConversation(id);
  if (!conversation) throw notFound(`no conversation with id ${id}`);
  return conversation;
}

/** The message an id in a URL names, or a 404 that says so. */
export async function requireMessage(store: ConversationStore, id: string): Promise<StoredMessage> {
  const message = await store.getMessage(id);
  if (!message) throw notFound(`no message with id ${id}`);
  return message;
}
