import type { ColumnType, Generated } from 'kysely';
import type { ConversationSettings, GenerationRecord, SentPrompt } from '../../chat/conversation.ts';
import type { ChatRole } from '../../chat/message.ts';
import type { SharedMessage } from '../../chat/shared-conversation.ts';

/**
 * The tables as Kysely sees them, in the database's snake_case. JSONB columns are written as JSON
 * text (both `pg` and PGlite pass strings through unchanged, whereas `pg` would turn a JS array
 * into a PostgreSQL array) and read back already parsed. Times are `timestamptz(3)`: millisecond
 * precision, exactly what an ISO string from JavaScript holds, so values round-trip unchanged.
 */
export interface Database {
  conversations: ConversationsTable;
  messages: MessagesTable;
  answer_prompts: AnswerPromptsTable;
  conversation_shares: ConversationSharesTable;
}

type Timestamp = ColumnType<Date, string, string>;
type Json<T> = ColumnType<T, string, string>;

export interface ConversationsTable {
  id: string;
  title: string;
  settings: Json<ConversationSettings>;
  active_leaf_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MessagesTable {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  role: ChatRole;
  content: string;
  /** The generation record without its prompt, which is kept in `answer_prompts`. */
  generation: ColumnType<Omit<GenerationRecord, 'prompt'> | null, string | null, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /**
   * Insertion order. Listing orders by it rather than by created_at because clocks on two servers
   * disagree, while a child is always inserted after its parent committed.
   */
  insertion_order: Generated<string>;
  /**
   * The generating server's last save, always written as the database's `now()` so that app
   * servers' clocks never meet; see src/storage/cut-answers.ts.
   */
  answer_alive_at: ColumnType<Date | null, Date | undefined, Date>;
}

/** Each answer's exact prompt, apart from its message so that listing messages never reads it. */
export interface AnswerPromptsTable {
  message_id: string;
  prompt: Json<SentPrompt>;
}

/**
 * A conversation's shared snapshot (at most one per conversation). The messages are copied, not
 * referenced: a snapshot must not change when the conversation does.
 */
export interface ConversationSharesTable {
  token: string;
  conversation_id: string;
  title: string;
  messages: Json<SharedMessage[]>;
  shared_at: Timestamp;
}
