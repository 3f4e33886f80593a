import { randomUUID } from 'node:crypto';
import type { Conversation, ConversationSummary, SentPrompt, StoredMessage } from '../../src/chat/conversation.ts';
import type { ConversationShare, SharedConversation } from '../../src/chat/shared-conversation.ts';
import {
  branchEndingAt,
  ConversationStoreError,
  type AnswerPatch,
  type ConversationPatch,
  type ConversationSnapshot,
  type ConversationStore,
  type ImportedConversation,
  type ListConversationsOptions,
  type ListMessagesOptions,
  type NewAnswer,
  type NewConversation,
  type NewMessage,
  type StartedAnswer,
} from '../../src/storage/conversation-store.ts';
import { createInProcessAnswerNotifications } from '../../src/storage/in-process-answer-notifications.ts';
import { createMonotonicClock } from '../../src/storage/monotonic-clock.ts';
import { newShareToken } from '../../src/storage/share-token.ts';
import { parentsFirst, withFreeIds } from '../../src/storage/snapshot-import-plan.ts';

/**
 * Keeps conversations in process memory, for tests that need a store but not a database (the
 * app itself always runs on PGlite or PostgreSQL); everything is lost on exit. Returns copies so
 * callers cannot mutate stored state by accident.
 */
export function createMemoryConversationStore(): ConversationStore {
  const conversations = new Map<string, Conversation>();
  const messages = new Map<string, StoredMessage>();
  /**
   * The same messages by conversation, each in insertion order: listing a conversation's messages
   * reads only its own, not every stored message (the fuzz suite makes thousands of conversations,
   * and listing or exporting them all scanned the whole map once per conversation).
   */
  const messagesByConversation = new Map<string, Map<string, StoredMessage>>();
  /** By conversation id, as the SQL table's unique conversation_id. */
  const shares = new Map<string, SharedConversation & { token: string }>();
  const now = createMonotonicClock();
  const answerNotifications = createInProcessAnswerNotifications();
  const copy = <T>(value: T): T => structuredClone(value);
  // Map iteration is insertion order, which is what the SQL stores return too.
  const messagesOf = (conversationId: string) => [...(messagesByConversation.get(conversationId)?.values() ?? [])];
  const keepMessage = (message: StoredMessage) => {
    messages.set(message.id, message);
    let ofConversation = messagesByConversation.get(message.conversationId);
    if (!ofConversation) messagesByConversation.set(message.conversationId, (ofConversation = new Map()));
    ofConversation.set(message.id, message);
  };
  const forgetMessage = (id: string) => {
    const message = messages.get(id);
    if (!message) return;
    messages.delete(id);
    messagesByConversation.get(message.conversationId)?.delete(id);
  };
  const assertMessageInConversation = (messageId: string, conversationId: string) => {
    if (messages.get(messageId)?.conversationId !== conversationId) {
      throw new ConversationStoreError(
        'message-not-in-conversation',
        `message ${messageId} is not in conversation ${conversationId}`,
      );
    }
  };

  return {
    answerNotifications,
    // Accounts need the SQL stores (PGlite memory:// in tests): owner scoping is done in their SQL.
    accounts: null,
    forOwner() {
      throw new Error('the in-memory test store has no accounts; use a PGlite memory:// store for --auth accounts');
    },
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
    async listMessages(conversationId: string, listOptions: ListMessagesOptions = {}) {
      const listed = copy(messagesOf(conversationId));
      return listOptions.includePrompts ? listed : listed.map((message) => withPrompt(message, null));
    },
    async updateConversation(id: string, patch: ConversationPatch) {
      const conversation = conversations.get(id);
      if (!conversation) return null;
      if (patch.activeLeafId) assertMessageInConversation(patch.activeLeafId, id);
      Object.assign(conversation, definedFields(patch), { updatedAt: now() });
      return copy(conversation);
    },
    async deleteConversation(id: string) {
      for (const message of messagesOf(id)) messages.delete(message.id);
      messagesByConversation.delete(id);
      shares.delete(id);
      return conversations.delete(id);
    },
    async appendMessage(input: NewMessage) {
      const conversation = conversations.get(input.conversationId);
      if (!conversation) {
        throw new ConversationStoreError('conversation-not-found', `conversation ${input.conversationId} does not exist`);
      }
      if (input.parentId) assertMessageInConversation(input.parentId, input.conversationId);
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
      keepMessage(message);
      conversation.activeLeafId = message.id;
      conversation.updatedAt = time;
      return copy(message);
    },
    async startAnswer(input: NewAnswer): Promise<StartedAnswer> {
      // No await between the checks and the writes: one turn of the event loop, so one winner.
      const conversation = conversations.get(input.conversationId);
      if (!conversation) {
        throw new ConversationStoreError('conversation-not-found', `conversation ${input.conversationId} does not exist`);
      }
      const time = now();
      const inserted: StoredMessage[] = [];
      const insert = (fields: Pick<StoredMessage, 'parentId' | 'role' | 'content' | 'generation'>) => {
        const message: StoredMessage = { id: randomUUID(), conversationId: conversation.id, ...fields, createdAt: time, updatedAt: time };
        inserted.push(message);
        return message;
      };
      let userMessage: StoredMessage | null = null;
      let answer: StoredMessage;
      if (input.continueAnswerId) {
        const existing = messages.get(input.continueAnswerId);
        if (!existing || existing.conversationId !== conversation.id || existing.role !== 'assistant') {
          throw new ConversationStoreError('message-not-found', `no message with id ${input.continueAnswerId}`);
        }
        if (existing.generation?.status === 'streaming') {
          throw new ConversationStoreError('answer-in-progress', 'this answer is still being generated; stop it or wait for it to end');
        }
        answer = existing;
      } else {
        let answerParentId = input.answerParentId;
        if (input.userMessage) {
          const { parentId } = input.userMessage;
          if (input.expectActiveLeaf && conversation.activeLeafId !== parentId) {
            throw new ConversationStoreError('answer-in-progress', 'another message was just sent in this conversation; reload it, or pass parentId');
          }
          if (parentId) {
            assertMessageInConversation(parentId, conversation.id);
            if (messages.get(parentId)?.generation?.status === 'streaming') {
              throw new ConversationStoreError('answer-in-progress', 'the answer this message follows is still being generated; stop it or wait for it to end');
            }
          }
          userMessage = insert({ parentId, role: 'user', content: input.userMessage.content, generation: null });
          answerParentId = userMessage.id;
        } else if (answerParentId) {
          assertMessageInConversation(answerParentId, conversation.id);
        }
        answer = insert({ parentId: answerParentId, role: 'assistant', content: '', generation: input.generation });
      }
      // Checked everything: now write it all.
      for (const message of inserted) keepMessage(message);
      if (input.continueAnswerId) Object.assign(answer, { generation: input.generation, updatedAt: time });
      Object.assign(conversation, definedFields(input.conversationPatch), { activeLeafId: answer.id, updatedAt: time });
      return { userMessage: userMessage ? copy(userMessage) : null, answer: copy(answer) };
    },
    async getMessage(id: string) {
      const message = messages.get(id);
      return message ? copy(message) : null;
    },
    async updateAnswer(id: string, patch: AnswerPatch) {
      const message = messages.get(id);
      if (!message) return null;
      const { generation, ...rest } = definedFields(patch);
      Object.assign(message, rest, { updatedAt: now() });
      // A record without its prompt keeps the stored one, as the SQL stores do.
      if (generation) message.generation = { ...generation, prompt: generation.prompt ?? message.generation?.prompt ?? null };
      return withPrompt(copy(message), patch.generation?.prompt ?? null);
    },
    async deleteMessage(id: string) {
      const target = messages.get(id);
      if (!target) return false;
      const doomed = new Set([id]);
      // Children are always inserted after their parents, so one pass in insertion order finds every descendant.
      for (const message of messagesOf(target.conversationId)) {
        if (message.parentId && doomed.has(message.parentId)) doomed.add(message.id);
      }
      for (const doomedId of doomed) forgetMessage(doomedId);
      const conversation = conversations.get(target.conversationId);
      if (conversation?.activeLeafId && doomed.has(conversation.activeLeafId)) {
        conversation.activeLeafId = target.parentId;
      }
      return true;
    },
    async importConversations(snapshots: ConversationSnapshot[]): Promise<ImportedConversation[]> {
      // Everything is prepared before the first write, so a bad snapshot leaves the store untouched.
      const taken = (id: string) => conversations.has(id) || messages.has(id) || planned.has(id);
      const planned = new Set<string>();
      const plans = snapshots.map((original) => {
        const snapshot = withFreeIds(original, taken);
        const ordered = parentsFirst(snapshot.messages);
        planned.add(snapshot.conversation.id);
        for (const message of ordered) planned.add(message.id);
        return { original, snapshot, ordered };
      });
      return plans.map(({ original, snapshot, ordered }) => {
        conversations.set(snapshot.conversation.id, copy(snapshot.conversation));
        for (const message of ordered) keepMessage(copy(message));
        return { sourceId: original.conversation.id, id: snapshot.conversation.id, title: snapshot.conversation.title };
      });
    },
    async shareConversation(conversationId: string) {
      const conversation = conversations.get(conversationId);
      if (!conversation) return null;
      const branch = branchEndingAt(messagesOf(conversationId), conversation.activeLeafId).map((message) => ({
        role: message.role,
        content: message.content,
        reasoning: message.generation?.reasoning?.text || null,
        modelId: message.generation?.modelId ?? null,
      }));
      const token = shares.get(conversationId)?.token ?? newShareToken();
      shares.set(conversationId, { token, title: conversation.title, sharedAt: now(), messages: branch });
      return shareOf(conversationId);
    },
    getConversationShare: async (conversationId: string) => shareOf(conversationId),
    unshareConversation: async (conversationId: string) => shares.delete(conversationId),
    async getSharedConversation(token: string) {
      const share = [...shares.values()].find((candidate) => candidate.token === token);
      return share ? copy({ title: share.title, sharedAt: share.sharedAt, messages: share.messages }) : null;
    },
    async close() {
      await answerNotifications.close();
    },
  };

  function shareOf(conversationId: string): ConversationShare | null {
    const share = shares.get(conversationId);
    return share ? { token: share.token, conversationId, sharedAt: share.sharedAt, messageCount: share.messages.length } : null;
  }
}

function withPrompt(message: StoredMessage, prompt: SentPrompt | null): StoredMessage {
  return message.generation ? { ...message, generation: { ...message.generation, prompt } } : message;
}

function definedFields<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}
