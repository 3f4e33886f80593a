import type { ChatRole } from './message.ts';

/**
 * One message of a shared snapshot: what a reader of the link sees, and nothing more. No ids, no
 * prompts, no settings (the system message lives there), no parameters: a link is meant for
 * people outside the conversation, so it carries only the turns themselves.
 */
export interface SharedMessage {
  role: ChatRole;
  content: string;
  /** The model's thinking before this answer, shown folded; null when it did not think. */
  reasoning: string | null;
  /** Which model wrote this answer; null for the user's turns. */
  modelId: string | null;
}

/** What `GET /api/shared/:token` answers: a frozen copy of one branch, as it was when shared. */
export interface SharedConversation {
  title: string;
  sharedAt: string;
  messages: SharedMessage[];
}

/** The owner's view of a conversation's link. */
export interface ConversationShare {
  /** The link's secret: anyone holding it may read the snapshot, nobody may write through it. */
  token: string;
  conversationId: string;
  sharedAt: string;
  messageCount: number;
}

/** What the owner's routes answer: the share, the page's path from the server's root, and its URL. */
export interface ShareLink extends ConversationShare {
  path: string;
  url: string;
}

/**
 * 18 random bytes as base64url: 24 characters, 144 bits, so links cannot be guessed or walked.
 * Any other string names no share, and is answered 404 without a query.
 */
export const SHARE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{24}$/;
export const SHARE_TOKEN_BYTES = 18;
