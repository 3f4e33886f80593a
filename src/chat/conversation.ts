import type { BackendErrorCode, BackendName, FinishReason, GenerationTimings, TokenUsage } from '../backends/backend.ts';
import type { ContextOverflowPolicy } from './context-overflow-policy.ts';
import type { GenerationParameters, ResolvedGenerationParameters } from './generation-parameters.ts';
import type { ChatMessage, ChatRole } from './message.ts';
import type { ConversationToolSettings } from './tools/conversation-tool-settings.ts';
import type { ToolCallRecord } from './tools/tool-call-record.ts';

export type PromptTemplateName = 'plain' | 'model';

/** Per-conversation settings from the page's "Advanced options". */
export interface ConversationSettings {
  systemMessage?: string;
  template?: PromptTemplateName;
  parameters?: GenerationParameters;
  /** Which configured model answers; absent means the server's default. */
  modelId?: string;
  /** The template's thinking switch (Qwen3's `enable_thinking`); absent: the template's default. */
  enableThinking?: boolean;
  /** Which of the operator's MCP tools this conversation offers the model, and the approvals given. */
  tools?: ConversationToolSettings;
  /** What to leave out when the conversation outgrows the window; absent: the server's `--context-overflow`. */
  contextOverflow?: ContextOverflowPolicy;
}

export interface Conversation {
  id: string;
  title: string;
  settings: ConversationSettings;
  /** The tip of the branch the user is looking at; branches come from edits and regenerations. */
  activeLeafId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Exactly what was sent to the backend: the rendered prompt or the message list. */
export type SentPrompt = { kind: 'text'; text: string } | { kind: 'messages'; messages: ChatMessage[] };

/**
 * How an answer ended; `streaming` while it is being generated. `disconnected` when its reader
 * went away, and also when the server generating it died mid-answer: the stores report a
 * `streaming` answer that no server has saved for a while as `disconnected` (see
 * src/storage/cut-answers.ts), so it shows as a saved partial answer that can be continued.
 */
export type AnswerStatus = 'streaming' | 'done' | 'stopped' | 'disconnected' | 'error';

/** Everything needed to see the model's work honestly and to reproduce an answer. */
export interface GenerationRecord {
  status: AnswerStatus;
  finishReason: FinishReason | null;
  error: { code: BackendErrorCode | 'internal'; message: string } | null;
  backend: BackendName;
  modelId: string;
  /**
   * The id the server offered the model under (a models-file entry's `id`), which the page shows
   * beside the answer; absent in answers stored before servers had several models.
   */
  servedModelId?: string;
  template: PromptTemplateName | 'messages';
  /**
   * The exact prompt. null where it was left out to keep a read small: listing a conversation's
   * messages (`listMessages`, `GET /api/conversations/:id`) omits every prompt, because in a long
   * conversation each answer's prompt repeats most of the conversation and together they are most
   * of the bytes. `getMessage` (`GET /api/messages/:id`), export and `answer-start` carry it.
   * In `updateAnswer`, null keeps the stored prompt.
   */
  prompt: SentPrompt | null;
  parameters: ResolvedGenerationParameters;
  contextWindow: number | null;
  promptTokens: number | null;
  /** Oldest turns left out so the prompt fits the context window. */
  droppedTurns: number;
  usage: TokenUsage | null;
  timings: GenerationTimings | null;
  /**
   * Continue: the answer's tokens from before its last Continue. `usage` counts what the last
   * generation produced (its prompt already holds the earlier text), so the whole answer is both.
   */
  earlierCompletionTokens?: number;
  /**
   * The model's thinking, kept apart from the answer's `content` and never sent back to the model;
   * null when it did not think (and in records stored before thinking was kept apart).
   */
  reasoning: ReasoningRecord | null;
  /**
   * The tools the model called while answering, with their results, in order; absent or empty when
   * it called none. They interleave with `content` (see tool-call-record.ts).
   */
  toolCalls?: ToolCallRecord[];
}

/** What a model thought before answering, and for how long. */
export interface ReasoningRecord {
  text: string;
  /** When the first thinking arrived (ISO time, the server's clock). */
  startedAt: string;
  /** How long it thought: until the first answer text, or the end of the answer; null while still thinking. */
  durationMs: number | null;
}

export interface StoredMessage {
  id: string;
  conversationId: string;
  /** null for the first message of a conversation; siblings share a parent. */
  parentId: string | null;
  role: ChatRole;
  content: string;
  /** Present on assistant messages only. */
  generation: GenerationRecord | null;
  createdAt: string;
  updatedAt: string;
}

export interface ConversationSummary extends Conversation {
  messageCount: number;
}
