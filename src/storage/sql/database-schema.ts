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
  accounts: AccountsTable;
  account_sessions: AccountSessionsTable;
  account_tokens: AccountTokensTable;
  login_throttles: LoginThrottlesTable;
  account_usage: AccountUsageTable;
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
  /** The account it belongs to; null when made with --auth none or key (claimUnownedConversations). */
  owner_id: ColumnType<string | null, string | null | undefined, string | null>;
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
  /** Always its conversation's owner (a foreign key keeps them equal). */
  owner_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Each answer's exact prompt, apart from its message so that listing messages never reads it. */
export interface AnswerPromptsTable {
  message_id: string;
  prompt: Json<SentPrompt>;
}

export interface AccountsTable {
  id: string;
  username: string;
  /** `scrypt$…` (src/accounts/password-hash.ts); null for OpenID Connect accounts. */
  password_hash: string | null;
  is_admin: boolean;
  oidc_issuer: string | null;
  oidc_subject: string | null;
  email: string | null;
  display_name: string | null;
  created_at: Timestamp;
}

/** A session or personal token: `id` finds the row, the secret is kept only as its SHA-256. */
export interface AccountSessionsTable {
  id: string;
  account_id: string;
  secret_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface AccountTokensTable {
  id: string;
  account_id: string;
  label: string;
  secret_hash: string;
  created_at: Timestamp;
  last_used_at: ColumnType<Date | null, string | null | undefined, string | null>;
}

export interface LoginThrottlesTable {
  key: string;
  tokens: number;
  /** Milliseconds on the app's clock (injectable in tests), as text from `pg`. */
  updated_at_ms: ColumnType<string, number, number>;
}

export interface AccountUsageTable {
  account_id: string;
  requests: ColumnType<string, number | undefined, never>;
  prompt_tokens: ColumnType<string, number | undefined, never>;
  generated_tokens: ColumnType<string, number | undefined, never>;
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
