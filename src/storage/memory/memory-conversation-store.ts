import { randomUUID } from 'node:crypto';
import type { Conversation, ConversationSummary, StoredMessage } from '../../chat/conversation.ts';
import type {
  AnswerPatch,
  ConversationPatch,
  ConversationStore,
  ListConversationsOptions,
  NewConversation,
  NewMessage,
} from '../conversation-store.ts';

/**
 * Keeps conversations in process memory. For unit tests and `--storage memory`; everything is
 * lost on exit. Returns copies so callers cannot mutate stored state by accident.
 */
export function createMemoryConversationStore(): ConversationStore {
  const conversations = new Map<string, Conversation>();
  const messages = new Map<string, StoredMessage>();
  // A strictly increasing clock, so creation order is total even within one millisecond.
  let lastTime = 0;
  const now = () => {
    lastTime = Math.max(Date.now(), lastTime + 1);
    return new Date(lastTime).toISOString();
  };
  const copy = <T>(value: T): T => structuredClone(value);
  const messagesOf = (conversationId: string) =>
    [...messages.values()].filter((message) => message.conversationId === conversationId);

  return {
    async listConversations(options: ListConversationsOptions = {}): Promise<ConversationSummary[]> {
      const search = options.search?.toLowerCase();
      return [...conversations.values()]
        .filter((conversation) => !options.updatedBefore || conversation.updatedAt < options.updatedBefore)
        .filter(
          (conversation) =>
            !search ||
            conversation.title.toLowerCase().includes(search) ||
            messagesOf(conversation.id).some((message) => message.content.toLowerCase().includes(search)),
        )
        .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
        .slice(0, options.limit ?? 100)
        .map((conversation) => ({ ...copy(conversation), messageCount: messagesOf(conversation.id).length }));
    },
    async createConversation(input: NewConversation = {}): Promise<Conversation> {
      const time = now();
      const conversation: Conversation = {
        id: randomUUID(),
        title: input.title ?? 'New chat',
        settings: input.settings ?? {},
        activeLeafId: null,
        createdAt: time,
        updatedAt: time,
      };
      conversations.set(conversation.id, conversation);
      return copy(conversation);
    },
    async getConversation(id: string) {
      const conversation = conversations.get(id);
      return conversation ? copy(conversation) : null;
    },
    async listMessages(conversationId: string) {
      return copy(messagesOf(conversationId).sort((a, b) => a.createdAt.localeCompare(b.createdAt)));
    },
    async updateConversation(id: string, patch: ConversationPatch) {
      const conversation = conversations.get(id);
      if (!conversation) return null;
      Object.assign(conversation, definedFields(patch), { updatedAt: now() });
      return copy(conversation);
    },
    async deleteConversation(id: string) {
      for (const message of messagesOf(id)) messages.delete(message.id);
      return conversations.delete(id);
    },
    async appendMessage(input: NewMessage) {
      const conversation = conversations.get(input.conversationId);
      if (!conversation) throw new Error(`conversation ${input.conversationId} does not exist`);
      const time = now();
      const message: StoredMessage = {
        id: randomUUID(),
        conversationId: input.conversationId,
        parentId: input.parentId,
        role: input.role,
        content: input.content,
        generation: input.generation ?? null,
        createdAt: time,
        updatedAt: time,
      };
      messages.set(message.id, message);
      conversation.activeLeafId = message.id;
      conversation.updatedAt = time;
      return copy(message);
    },
    async getMessage(id: string) {
      const message = messages.get(id);
      return message ? copy(message) : null;
    },
    async updateAnswer(id: string, patch: AnswerPatch) {
      const message = messages.get(id);
      if (!message) return null;
      Object.assign(message, definedFields(patch), { updatedAt: now() });
      return copy(message);
    },
    async deleteMessage(id: string) {
      const target = messages.get(id);
      if (!target) return false;
      const doomed = new Set([id]);
      // Children are always created after their parents, so one pass in creation order finds every descendant.
      for (const message of [...messages.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
        if (message.parentId && doomed.has(message.parentId)) doomed.add(message.id);
      }
      for (const doomedId of doomed) messages.delete(doomedId);
      const conversation = conversations.get(target.conversationId);
      if (conversation?.activeLeafId && doomed.has(conversation.activeLeafId)) {
        conversation.activeLeafId = target.parentId;
      }
      return true;
    },
    async close() {},
  };
}

function definedFields<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}
