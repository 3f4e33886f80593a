import type { ChatMessage } from '../chat/message.ts';
import type { ResolvedGenerationParameters } from '../chat/generation-parameters.ts';
import type { ContextOverflowPolicy } from '../chat/context-overflow-policy.ts';
import type { ReasoningMode } from '../chat/reasoning/reasoning-mode.ts';
import type { ReasoningSyntax } from '../chat/reasoning/split-reasoning.ts';
import type { ResponseFormat } from '../chat/structured-output/response-format.ts';
import type { ToolCall, ToolChoice, ToolDefinition } from '../chat/tools/tool-definition.ts';

export type BackendName = 'llamacpp' | 'tgi' | 'openai' | 'echo';

/**
 * Why a generation ended. `length`: max new tokens reached. `stop`: a stop sequence matched.
 * `eos`: the model emitted its end-of-generation token. `tool-calls`: the model ended its turn
 * with one or more `tool-call` events. `aborted`: the caller's AbortSignal fired.
 */
export type FinishReason = 'length' | 'stop' | 'eos' | 'tool-calls' | 'aborted';

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

/** One candidate token and its natural-log probability. */
export interface TokenAlternative {
  tokenId: number | null;
  text: string;
  logprob: number;
}

/** A generated token's log-probability and, when asked for, the most likely alternatives at its step. */
export interface TokenLogprob extends TokenAlternative {
  top: TokenAlternative[];
}

/** A prompt token and how likely the model found it after the ones before; null for the first. */
export interface PromptTokenLogprob {
  tokenId: number | null;
  text: string;
  logprob: number | null;
}

/**
 * The one event shape every backend yields; the server, the page and the CLI read only this.
 * `reasoning-delta` is the model's thinking, kept apart from the answer. `tool-call` is one
 * complete, parsed call; `finish` with reason `tool-calls` follows the last one. Where the wire
 * streams a call as it is written, `tool-call-delta`s come first (`id` and `name` with the first of
 * each index, then argument fragments), and the complete `tool-call` of that index still follows,
 * so a reader that wants whole calls ignores the deltas. `logprobs` on a
 * text delta covers the tokens that made that delta, present only when the request asked.
 */
export type GenerationEvent =
  | { type: 'text-delta'; text: string; tokenId?: number; logprobs?: TokenLogprob[] }
  | { type: 'reasoning-delta'; text: string }
  | { type: 'tool-call-delta'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'tool-call'; index: number; call: ToolCall }
  | { type: 'finish'; reason: FinishReason; usage: TokenUsage; timings: GenerationTimings; promptLogprobs?: PromptTokenLogprob[] }
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
  /** Functions the model may call; absent or empty: none. */
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** Whether the model may make several calls in one turn (OpenAI's `parallel_tool_calls`, default true). */
  parallelToolCalls?: boolean;
  /** The shape the answer must have; backends that cannot enforce it say so in `capabilities`. */
  responseFormat?: ResponseFormat;
  /** Log-probabilities of the generated tokens, with `top` alternatives per token (0 for none). */
  logprobs?: { top: number };
  /** Log-probabilities of the prompt's own tokens (TGI's `decoder_input_details`), on the finish event. */
  promptLogprobs?: boolean;
  /**
   * How the prompt's template marks thinking, for backends that see raw text (llamacpp, tgi).
   * Absent: the model does not think, or the backend's server splits it (openai).
   */
  reasoning?: ReasoningSyntax;
  /**
   * The template's thinking switch (Qwen3's `enable_thinking`), for backends whose server renders
   * the template (openai); raw-text backends got it in the rendered prompt already.
   */
  enableThinking?: boolean;
}

/** What a backend can honour beyond plain text; the served APIs refuse (422) what it cannot. */
export interface BackendCapabilities {
  responseFormats: ReadonlyArray<ResponseFormat['type']>;
  tools: boolean;
  /** Log-probabilities with at most this many alternatives per token; null: no log-probabilities. */
  maxTopLogprobs: number | null;
  /**
   * Whether JSON schemas are enforced by a local grammar, which covers only some keywords (see
   * findUnsupportedSchemaFeature); false: the upstream server checks them itself.
   */
  schemaByLocalGrammar: boolean;
  /** Whether it returns the prompt tokens' log-probabilities (`promptLogprobs`); absent: no. */
  promptLogprobs?: boolean;
}

export const NO_CAPABILITIES: BackendCapabilities = { responseFormats: [], tools: false, maxTopLogprobs: null, schemaByLocalGrammar: false };

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
  /** Tools, response formats and logprobs it can honour; absent means none. */
  capabilities?: BackendCapabilities;
  /** What the backend does with a thinking model's thoughts (backends that see raw text); absent: `auto`. */
  reasoning?: ReasoningMode;
  /** The prompt template for requests that name none, as configured for this model; absent: the model's own when it has one. */
  template?: 'plain' | 'model';
  /** The server's context overflow policy (`--context-overflow`) for conversations that set none; absent: `drop-oldest`. */
  contextOverflow?: ContextOverflowPolicy;
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
