import type { FinishReason, GenerationEvent, TokenLogprob, TokenUsage } from '../../backends/backend.ts';
import type { ToolCall } from '../../chat/tools/tool-definition.ts';
import type { GenerationParameters } from '../../chat/generation-parameters.ts';
import type { ChatMessage } from '../../chat/message.ts';
import type { ChatCompletionRequest, CompletionRequest } from './openai-schemas.ts';

export type OpenAiFinishReason = 'stop' | 'length' | 'tool_calls';

/** OpenAI has no "end of sequence": a model that stops by itself or at a stop sequence says `stop`. */
export function openAiFinishReason(reason: FinishReason): OpenAiFinishReason {
  if (reason === 'tool-calls') return 'tool_calls';
  return reason === 'length' ? 'length' : 'stop';
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function openAiUsage(usage: TokenUsage): OpenAiUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

export function generationParametersFromOpenAi(body: ChatCompletionRequest | CompletionRequest): GenerationParameters {
  const maxCompletionTokens = 'messages' in body ? (body as ChatCompletionRequest).max_completion_tokens : null;
  const maxTokens = maxCompletionTokens ?? body.max_tokens;
  const stop = body.stop;
  return {
    ...(maxTokens != null ? { maxNewTokens: maxTokens } : {}),
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { topP: body.top_p } : {}),
    ...(body.seed != null ? { seed: body.seed } : {}),
    ...(stop ? { stop } : {}),
  };
}

/**
 * System (and `developer`) messages become the conversation's system message; the rest stay in
 * order. An assistant message's `reasoning_content` is dropped: past thinking is never sent back.
 */
export function splitOpenAiMessages(messages: ChatCompletionRequest['messages']): { system: string | undefined; turns: ChatMessage[] } {
  const textOf = (content: (typeof messages)[number]['content']) =>
    typeof content === 'string' ? content : (content ?? []).map((part) => part.text).join('');
  const system = messages.filter((message) => message.role === 'system' || message.role === 'developer').map((message) => textOf(message.content));
  const turns = messages
    .filter((message) => message.role !== 'system' && message.role !== 'developer')
    .map((message): ChatMessage => ({
      role: message.role as ChatMessage['role'],
      content: textOf(message.content),
      ...(message.tool_calls?.length
        ? { toolCalls: message.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })) }
        : {}),
      ...(message.role === 'tool' && message.tool_call_id ? { toolCallId: message.tool_call_id } : {}),
    }));
  return { system: system.length > 0 ? system.join('\n\n') : undefined, turns };
}

/** One call in OpenAI's shape; streamed, `index` says which call a fragment belongs to. */
export function openAiToolCall(call: ToolCall, index?: number) {
  return { ...(index !== undefined ? { index } : {}), id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } };
}

/**
 * One streamed fragment of a call, in OpenAI's delta shape: the first of an index carries `id`,
 * `type` and the name; the rest only argument text, which clients append.
 */
export function openAiToolCallDelta(delta: Extract<GenerationEvent, { type: 'tool-call-delta' }>) {
  return {
    index: delta.index,
    ...(delta.id !== undefined ? { id: delta.id, type: 'function' as const } : {}),
    function: { ...(delta.name !== undefined ? { name: delta.name } : {}), arguments: delta.argumentsDelta },
  };
}

/** OpenAI's `logprobs.content` entries: bytes are the token text's UTF-8 bytes. */
export function openAiLogprobs(tokens: readonly TokenLogprob[]) {
  const bytesOf = (text: string) => [...Buffer.from(text, 'utf8')];
  return {
    content: tokens.map((token) => ({
      token: token.text,
      logprob: token.logprob,
      bytes: bytesOf(token.text),
      top_logprobs: token.top.map((alternative) => ({ token: alternative.text, logprob: alternative.logprob, bytes: bytesOf(alternative.text) })),
    })),
    refusal: null,
  };
}

/** What a whole chat answer came to, for the non-streamed response. */
export interface CollectedAnswer {
  text: string;
  reasoning: string;
  toolCalls: ToolCall[];
  logprobs: TokenLogprob[] | null;
}

interface ResponseIdentity {
  id: string;
  created: number;
  model: string;
}

/** Thinking goes in `reasoning_content` (llama-server's and DeepSeek's field), never in `content`. */
export function chatCompletion(identity: ResponseIdentity, answer: CollectedAnswer, reason: FinishReason, usage: TokenUsage) {
  const calledTools = answer.toolCalls.length > 0;
  return {
    ...identity,
    object: 'chat.completion' as const,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant' as const,
          content: calledTools && answer.text === '' ? null : answer.text,
          ...(answer.reasoning ? { reasoning_content: answer.reasoning } : {}),
          ...(calledTools ? { tool_calls: answer.toolCalls.map((call) => openAiToolCall(call)) } : {}),
          refusal: null,
        },
        logprobs: answer.logprobs ? openAiLogprobs(answer.logprobs) : null,
        finish_reason: openAiFinishReason(reason),
      },
    ],
    usage: openAiUsage(usage),
  };
}

export interface ChatDelta {
  role?: 'assistant';
  content?: string;
  reasoning_content?: string;
  tool_calls?: Array<ReturnType<typeof openAiToolCall> | ReturnType<typeof openAiToolCallDelta>>;
}

export function chatCompletionChunk(
  identity: ResponseIdentity,
  delta: ChatDelta,
  finishReason: OpenAiFinishReason | null,
  includeUsage: boolean,
  logprobs: readonly TokenLogprob[] | null = null,
) {
  return {
    ...identity,
    object: 'chat.completion.chunk' as const,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: logprobs ? openAiLogprobs(logprobs) : null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  };
}

/** With `stream_options.include_usage`, one last chunk carries the usage and no choices. */
export function usageChunk(identity: ResponseIdentity, object: 'chat.completion.chunk' | 'text_completion', usage: TokenUsage) {
  return { ...identity, object, system_fingerprint: null, choices: [], usage: openAiUsage(usage) };
}

/** The legacy completions API's logprobs: parallel lists, and one {token: logprob} map per step. */
export function legacyLogprobs(tokens: readonly TokenLogprob[], startOffset = 0) {
  let offset = startOffset;
  return {
    tokens: tokens.map((token) => token.text),
    token_logprobs: tokens.map((token) => token.logprob),
    top_logprobs: tokens.map((token) => Object.fromEntries(token.top.map((alternative) => [alternative.text, alternative.logprob]))),
    text_offset: tokens.map((token) => {
      const at = offset;
      offset += token.text.length;
      return at;
    }),
  };
}

export function textCompletion(
  identity: ResponseIdentity,
  text: string,
  reason: FinishReason | null,
  usage: TokenUsage | null,
  logprobs: ReturnType<typeof legacyLogprobs> | null = null,
) {
  return {
    ...identity,
    object: 'text_completion' as const,
    system_fingerprint: null,
    choices: [{ index: 0, text, logprobs, finish_reason: reason === null ? null : openAiFinishReason(reason) }],
    ...(usage ? { usage: openAiUsage(usage) } : {}),
  };
}
