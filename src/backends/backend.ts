import type { ChatMessage } from '../chat/message.ts';
import type { ResolvedGenerationParameters } from '../chat/generation-parameters.ts';

export type BackendName = 'llamacpp' | 'tgi' | 'openai' | 'echo';

/**
 * Why a generation ended. `length`: max new tokens reached. `stop`: a stop sequence matched.
 * `eos`: the model emitted its end-of-generation token. `aborted`: the caller's AbortSignal fired.
 */
export type FinishReason = 'length' | 'stop' | 'eos' | 'aborted';

export type BackendErrorCode =
  | 'unreachable' // connection refused, DNS failure
  | 'timeout'
  | 'unauthorized' // 401/403
  | 'validation' // 422 or a request the backend rejects as malformed
  | 'overloaded' // 429
  | 'upstream' // 5xx or other unexpected upstream status
  | 'protocol' // malformed SSE/JSON from upstream
  | 'stream-cut' // the upstream connection ended before a finish
  | 'model-load' // model file missing or corrupt
  | 'context-overflow' // prompt + max new tokens do not fit the window
  | 'generation'; // the engine failed while generating

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface GenerationTimings {
  /** Milliseconds from the request to the first text delta; null when nothing was generated. */
  timeToFirstTokenMs: number | null;
  /** Completion tokens per second, measured from the first token to the last. */
  tokensPerSecond: number | null;
  totalMs: number;
}

/** The one event shape every backend yields; the server, the page and the CLI read only this. */
export type GenerationEvent =
  | { type: 'text-delta'; text: string; tokenId?: number }
  | { type: 'finish'; reason: FinishReason; usage: TokenUsage; timings: GenerationTimings }
  | { type: 'error'; code: BackendErrorCode; message: string; status?: number };

/**
 * What to generate from. Backends that take raw text (llamacpp, tgi) read `prompt`; backends whose
 * server applies its own chat template (openai) read `messages`. The chat layer fills what
 * `BackendInfo.input` asks for, and may fill both.
 */
export interface GenerationRequest {
  prompt?: string;
  messages?: ChatMessage[];
  parameters: ResolvedGenerationParameters;
}

export interface BackendInfo {
  backend: BackendName;
  modelId: string;
  /** Total tokens the model can attend to (prompt + completion); null when the server does not say. */
  contextWindow: number | null;
  /** The model's own Jinja chat template, when known (GGUF `tokenizer.chat_template`). */
  chatTemplate: string | null;
  /** How messages name the chat template when it is not the model's own (the --chat-template file). */
  chatTemplateName?: string | undefined;
  /** Tokens the chat template needs as variables, e.g. bos_token/eos_token. */
  specialTokens: { bos: string | null; eos: string | null };
  /** Whether the backend wants a rendered `prompt` or a list of `messages`. */
  input: 'prompt' | 'messages';
  /** Whether `countTokens` uses the model's real tokenizer (true) or an estimate (false). */
  exactTokenCount: boolean;
}

export interface Backend {
  readonly name: BackendName;
  info(): Promise<BackendInfo>;
  /** Tokens in `text` as the model would see it. Backends without a tokenizer return an estimate. */
  countTokens(text: string): Promise<number>;
  /** The model's tokens for `text`, for TGI's /tokenize; only backends with a real tokenizer have it. */
  tokenize?(text: string): Promise<Array<{ id: number; text: string }>>;
  /**
   * Streams one generation. Never throws for upstream faults: they arrive as one `error` event
   * (after any text already produced). Exactly one `finish` or `error` ends the stream.
   */
  generate(request: GenerationRequest, signal?: AbortSignal): AsyncIterable<GenerationEvent>;
  close(): Promise<void>;
}

/** A thrown error whose message is safe and useful to show a user (bad config, missing model). */
export class BackendError extends Error {
  override readonly name = 'BackendError';
  constructor(
    readonly code: BackendErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * Documented estimate for backends with no tokenizer: about 4 characters per token for English
 * text with BPE vocabularies (OpenAI's rule of thumb). Rounded up so budgets err on the safe side.
 */
export function estimateTokenCount(text: string): number {
  return Math.ceil(text.length / 4);
}
