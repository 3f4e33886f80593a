/**
 * The contract between the server's app API and the page. Routes (all JSON unless marked SSE;
 * `/api` prefix; errors are `{ "error": { "code", "message", "field"? } }` with a 4xx status):
 *
 *   GET    /api/models                         → { models: ModelDescription[], defaultModelId }
 *   GET    /api/status                         → ServerStatus
 *   GET    /api/conversations?search=&limit=&updatedBefore=   → { conversations: ConversationSummary[] }
 *   POST   /api/conversations                  { title?, settings? } → Conversation (201)
 *   GET    /api/conversations/:id              → { conversation: Conversation, messages: StoredMessage[] }
 *                                              (every answer's generation.prompt is null here: see below)
 *   PATCH  /api/conversations/:id              { title?, settings?, activeLeafId? } → Conversation
 *   DELETE /api/conversations/:id              → 204
 *   GET    /api/conversations/:id/export?format=json|markdown
 *   GET    /api/conversations/export?id=     → an anychat-conversations file (all, or one), for import
 *   POST   /api/conversations/:id/messages     SendMessageBody → SSE of AnswerStreamEvent
 *   POST   /api/messages/:id/regenerate        RegenerateBody (id: an assistant message) → SSE
 *   POST   /api/messages/:id/edit              EditBody (id: a user message; creates a sibling) → SSE
 *   POST   /api/messages/:id/continue          RegenerateBody (id: an answer cut by `length`) → SSE
 *   POST   /api/messages/:id/stop              → 204 (also works from another tab or server)
 *   GET    /api/messages/:id/stream            → SSE: re-attach to an answer still streaming, on any server
 *                                              (header Last-Event-ID: resume after that id)
 *   GET    /api/messages/:id                   → StoredMessage, its generation.prompt included
 *   DELETE /api/messages/:id                   → 204 (the message and its descendants; answers streaming
 *                                              in them stop, their streams end with answer-error `deleted`)
 *   POST   /api/login                          { apiKey } → 204 + HttpOnly SameSite=Strict session cookie (401 if wrong)
 *   POST   /api/logout                         → 204, clears the cookie
 *
 * With `--auth-key`, every route above needs the key (`Authorization: Bearer KEY`) or the session
 * cookie, except GET /api/status (it says `authRequired`), /api/login and /api/logout.
 *
 * `answer-start` carries the answer's text so far (empty for a new answer, the earlier text when
 * continuing, everything generated until now when re-attaching); each `text-delta` appends to it.
 * A model that thinks sends its thinking as `reasoning-delta`s, apart from the answer's text: they
 * append to `generation.reasoning.text` (in `answer-start`, the thinking so far), which records too
 * when the thinking started and, once the answer text starts or the answer ends, how long it took.
 * Thinking is stored apart and never sent back to the model in later turns.
 * Re-attaching and stop work whichever server generates the answer (servers sharing one
 * PostgreSQL reach each other through LISTEN/NOTIFY).
 *
 * Prompts: an answer's `generation.prompt` (exactly what was sent to the model) repeats most of
 * the conversation before it, so opening a conversation leaves every prompt out (`null`). It is
 * in `answer-start`, in `GET /api/messages/:id` (what "View prompt" fetches) and in the JSON
 * export; `answer-finish` and `answer-error` may carry it as `null`.
 *
 * An answer whose server died mid-answer is reported `disconnected` once no server has saved it
 * for a few seconds (src/storage/cut-answers.ts): a saved partial answer, to continue or regenerate.
 *
 * SSE frames are `event: <type>\ndata: <json>\n\n`, one per AnswerStreamEvent, `type` repeated
 * inside the JSON. Events that end at a point of the answer's text carry `id: N`, the text's length
 * then, or `N:R` once there is thinking, R its length; re-attaching with `Last-Event-ID` set to one
 * resumes from there (answer-event-stream.ts).
 *
 * Refusals specific to answers: 409 `conflict` for a continue of an answer still streaming, and
 * for a send under an answer still streaming (or, without parentId, when another send got there
 * first): the store checks and writes atomically (ConversationStore.startAnswer).
 */
import type { BackendErrorCode, BackendName, FinishReason, GenerationTimings, TokenUsage } from '../../backends/backend.ts';
import type { z } from 'zod';
import type { StoredMessage } from '../../chat/conversation.ts';
import type { GenerationParameters } from '../../chat/generation-parameters.ts';
import type { editBodySchema, regenerateBodySchema, sendMessageBodySchema } from './app-api-schemas.ts';

/** What the page sends; the zod schemas in app-api-schemas.ts are the one definition. */
export type SendMessageBody = z.input<typeof sendMessageBodySchema>;
export type RegenerateBody = z.input<typeof regenerateBodySchema>;
export type EditBody = z.input<typeof editBodySchema>;

export interface ModelDescription {
  id: string;
  backend: BackendName;
  modelId: string;
  contextWindow: number | null;
  hasChatTemplate: boolean;
  status: 'loading' | 'ready' | 'failed';
  /** While a default model downloads: bytes so far and in all. */
  download?: { receivedBytes: number; totalBytes: number | null } | null;
  error?: string | null;
}

export interface ServerStatus {
  status: 'loading' | 'ready' | 'failed';
  reason: string | null;
  authRequired: boolean;
  /** `serve --auth`: `accounts` asks for a user name and password, `key` for the server's key. */
  authMode: 'none' | 'key' | 'accounts';
  /** The signed-in account (`accounts` only), or null. */
  account: { username: string; isAdmin: boolean; displayName: string | null } | null;
  version: string;
}

export type AnswerStreamEvent =
  /** The stored user message (send/edit only), committed before generation starts. */
  | { type: 'user-message'; message: StoredMessage }
  /** The stored assistant message as created, its generation record holding the exact prompt. */
  | { type: 'answer-start'; message: StoredMessage }
  | { type: 'text-delta'; messageId: string; text: string }
  /** The model's thinking, apart from the answer: it appends to `message.generation.reasoning.text`. */
  | { type: 'reasoning-delta'; messageId: string; text: string }
  | {
      type: 'answer-finish';
      message: StoredMessage;
      reason: FinishReason;
      usage: TokenUsage;
      timings: GenerationTimings;
    }
  /** `deleted`: the answer (or a message above it) was deleted while it streamed; `message` is null then. */
  | { type: 'answer-error'; message: StoredMessage | null; code: BackendErrorCode | 'internal' | 'deleted'; error: string };

export type AnswerStreamEventType = AnswerStreamEvent['type'];

export type { GenerationParameters };
