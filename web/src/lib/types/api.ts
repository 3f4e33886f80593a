/**
 * The page codes against the server's contract directly: these are type-only re-exports, so the
 * page and `src/server/app-api` cannot drift apart without `npm run check:web` failing.
 */
export type {
  AnswerStreamEvent,
  EditBody,
  ModelDescription,
  RegenerateBody,
  SendMessageBody,
  ServerStatus,
} from '../../../../src/server/app-api/app-api-events.ts';
export type {
  AnswerStatus,
  Conversation,
  ConversationSettings,
  ConversationSummary,
  GenerationRecord,
  PromptTemplateName,
  SentPrompt,
  StoredMessage,
} from '../../../../src/chat/conversation.ts';
export type { SharedConversation, SharedMessage, ShareLink } from '../../../../src/chat/shared-conversation.ts';
export type { GenerationParameters } from '../../../../src/chat/generation-parameters.ts';
export type { ToolCallRecord } from '../../../../src/chat/tools/tool-call-record.ts';
export type { ContextOverflowPolicy } from '../../../../src/chat/context-overflow-policy.ts';
export type { BackendErrorCode, BackendName, FinishReason } from '../../../../src/backends/backend.ts';

/** The app API's error body: `{ "error": { "code", "message", "field"? } }`. */
export interface ApiErrorBody {
  error: { code: string; message: string; field?: string };
}
