import type {
  Conversation,
  ConversationSettings,
  ConversationSummary,
  GenerationRecord,
  StoredMessage,
} from '../chat/conversation.ts';
import type { ChatRole } from '../chat/message.ts';

export interface NewConversation {
  title?: string;
  settings?: ConversationSettings;
}

export interface ConversationPatch {
  title?: string;
  settings?: ConversationSettings;
  activeLeafId?: string | null;
}

export interface NewMessage {
  conversationId: string;
  parentId: string | null;
  role: ChatRole;
  content: string;
  generation?: GenerationRecord | null;
}

export interface AnswerPatch {
  content?: string;
  generation?: GenerationRecord;
}

export interface ListConversationsOptions {
  /** Case-insensitive match on the title or on message text. */
  search?: string;
  limit?: number;
  /** Keyset pagination: conversations updated strictly before this ISO time. */
  updatedBefore?: string;
}

/**
 * The one storage interface. PGlite (default), PostgreSQL (DATABASE_URL) and the in-memory store
 * used by unit tests all implement it and all pass test/storage/conversation-store.case.ts.
 * Methods that name a missing conversation or message return null/false rather than throw, so
 * routes can answer 404 without try/catch.
 */
export interface ConversationStore {
  listConversations(options?: ListConversationsOptions): Promise<ConversationSummary[]>;
  createConversation(input?: NewConversation): Promise<Conversation>;
  getConversation(id: string): Promise<Conversation | null>;
  /** All messages of the conversation, every branch, oldest first. */
  listMessages(conversationId: string): Promise<StoredMessage[]>;
  updateConversation(id: string, patch: ConversationPatch): Promise<Conversation | null>;
  deleteConversation(id: string): Promise<boolean>;
  /** Inserts a message and makes it the conversation's active leaf, in one transaction. */
  appendMessage(input: NewMessage): Promise<StoredMessage>;
  getMessage(id: string): Promise<StoredMessage | null>;
  /** Saves a streaming answer's progress or its final state. */
  updateAnswer(id: string, patch: AnswerPatch): Promise<StoredMessage | null>;
  /** Deletes a message and all its descendants. */
  deleteMessage(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Walks parent links from a leaf to the root: the branch the model sees, oldest first. */
export function branchEndingAt(messages: readonly StoredMessage[], leafId: string | null): StoredMessage[] {
  const byId = new Map(messages.map((message) => [message.id, message]));
  const branch: StoredMessage[] = [];
  let current = leafId ? byId.get(leafId) : undefined;
  while (current) {
    branch.push(current);
    current = current.parentId ? byId.get(current.parentId) : undefined;
  }
  return branch.reverse();
}
