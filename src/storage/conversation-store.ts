import type {
  Conversation,
  ConversationSettings,
  ConversationSummary,
  GenerationRecord,
  StoredMessage,
} from '../chat/conversation.ts';
import type { ChatRole } from '../chat/message.ts';
import type { ConversationShare, SharedConversation } from '../chat/shared-conversation.ts';
import type { AccountStore } from './account-store.ts';
import type { AnswerNotifications } from './answer-notifications.ts';

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

/**
 * An answer about to be generated, stored by `startAnswer` in one transaction: the conversation's
 * new settings (and title), the user message when there is one, and the answer's first row (or,
 * to continue, the existing answer marked streaming again).
 */
export interface NewAnswer {
  conversationId: string;
  conversationPatch: { title?: string; settings?: ConversationSettings };
  /** Send and edit: the question, stored first; the answer replies to it. */
  userMessage: { parentId: string | null; content: string } | null;
  /**
   * Send without a parentId: the question goes under the conversation's active leaf as the caller
   * read it. Refused when the leaf has moved since (another send got there first).
   */
  expectActiveLeaf?: boolean;
  /** Regenerate: the user message the new answer replies to (ignored with `userMessage`). */
  answerParentId: string | null;
  /** Continue: the answer to extend instead of a new one. */
  continueAnswerId: string | null;
  /** The record the answer starts with (status `streaming`, its exact prompt). */
  generation: GenerationRecord;
}

export interface StartedAnswer {
  userMessage: StoredMessage | null;
  answer: StoredMessage;
}

export interface AnswerPatch {
  content?: string;
  generation?: GenerationRecord;
}

export interface ListConversationsOptions {
  /** Case-insensitive match on the title or on message text. */
  search?: string;
  /** Default 100. Export passes Number.MAX_SAFE_INTEGER to walk every conversation. */
  limit?: number;
  /** Keyset pagination: conversations updated strictly before this ISO time. */
  updatedBefore?: string;
}

export interface ListMessagesOptions {
  /**
   * Read every answer's prompt too (export). Off by default: the prompts of a long conversation
   * are most of its bytes, and opening it must stay fast (see GenerationRecord.prompt).
   */
  includePrompts?: boolean;
}

/** A whole conversation as stored, every branch included: what export writes and import reads. */
export interface ConversationSnapshot {
  conversation: Conversation;
  messages: StoredMessage[];
}

export interface ImportedConversation {
  /** The id in the imported file. */
  sourceId: string;
  /** The id it is stored under: the same, unless that id was already taken. */
  id: string;
  title: string;
}

/**
 * A request the data contradicts: a conversation or message that does not exist, a message linked
 * into a conversation it does not belong to, or an answer that another request is generating
 * (`answer-in-progress`). Routes answer these with 4xx; anything else is a 500.
 */
export class ConversationStoreError extends Error {
  override readonly name = 'ConversationStoreError';
  constructor(
    readonly code: 'conversation-not-found' | 'message-not-in-conversation' | 'message-not-found' | 'answer-in-progress',
    message: string,
  ) {
    super(message);
  }
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
  /** All messages of the conversation, every branch, oldest first; prompts are null unless asked for. */
  listMessages(conversationId: string, options?: ListMessagesOptions): Promise<StoredMessage[]>;
  /** Throws ConversationStoreError when `activeLeafId` is not one of the conversation's messages. */
  updateConversation(id: string, patch: ConversationPatch): Promise<Conversation | null>;
  deleteConversation(id: string): Promise<boolean>;
  /**
   * Inserts a message and makes it the conversation's active leaf, in one transaction. Throws
   * ConversationStoreError when the conversation is missing or the parent is not one of its messages.
   */
  appendMessage(input: NewMessage): Promise<StoredMessage>;
  /**
   * Stores the start of an answer in one transaction (NewAnswer), so a question is never left
   * without its answer's row. Check and write are atomic in the database, one winner among
   * racers: throws ConversationStoreError `answer-in-progress` when the question's parent is an
   * answer still streaming (the model would see it empty), when `expectActiveLeaf` finds the leaf
   * moved, or when the answer to continue is streaming; `message-not-found` when it is gone.
   */
  startAnswer(input: NewAnswer): Promise<StartedAnswer>;
  /** One message, its answer's prompt included. */
  getMessage(id: string): Promise<StoredMessage | null>;
  /**
   * Saves a streaming answer's progress or its final state, and shows that its server is alive
   * (src/storage/cut-answers.ts): the generating server calls it at least every
   * ANSWER_KEEP_ALIVE_MS, with an empty patch when there is nothing new. A generation record whose
   * prompt is null keeps the stored prompt. Returns the message with the patch's prompt, or
   * prompt null when the patch carried none (as listMessages does), so a save reads no prompt.
   */
  updateAnswer(id: string, patch: AnswerPatch): Promise<StoredMessage | null>;
  /** Deletes a message and all its descendants. */
  deleteMessage(id: string): Promise<boolean>;
  /**
   * Writes whole conversations (ids, times, branches, generation records) in one transaction: all
   * or nothing. A conversation whose id, or one of whose message ids, is already taken is stored
   * under fresh ids, so importing a file twice keeps two copies and overwrites nothing. Expects
   * validated input: src/storage/export/import-conversations.ts parses files before calling this.
   */
  importConversations(snapshots: ConversationSnapshot[]): Promise<ImportedConversation[]>;
  /**
   * Freezes the conversation's current branch (root to active leaf) as a read-only snapshot behind
   * a random token, in one statement: later edits, branches, answers and renames do not change it.
   * Sharing again refreshes the snapshot and keeps the token, so a link already sent stays good.
   * null when the conversation does not exist. Deleting the conversation deletes its share.
   */
  shareConversation(conversationId: string): Promise<ConversationShare | null>;
  /** The conversation's live share, or null when it has none (or does not exist). */
  getConversationShare(conversationId: string): Promise<ConversationShare | null>;
  /** Revokes the link: its token names nothing from then on. False when there was none. */
  unshareConversation(conversationId: string): Promise<boolean>;
  /** The snapshot a link names, for anyone holding it; null for a revoked or made-up token. */
  getSharedConversation(token: string): Promise<SharedConversation | null>;
  /**
   * Live progress of answers, across every server on the same database (PostgreSQL LISTEN/NOTIFY)
   * or within this process (PGlite, memory). Closed by `close()`.
   */
  readonly answerNotifications: AnswerNotifications;
  /**
   * This store seen by one account (`--auth accounts`): every read and write is limited to the
   * account's rows in the SQL itself, so another account's ids answer exactly as missing ones.
   * New conversations, messages and imports belong to it.
   */
  forOwner(ownerId: string): ConversationStore;
  /** Accounts, sessions and tokens in the same database; null for stores that keep none (the in-memory test store). */
  readonly accounts: AccountStore | null;
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
