import type { FinishReason, TokenUsage } from '../../backends/backend.ts';
import type { GenerationParameters } from '../../chat/generation-parameters.ts';
import type { ChatMessage } from '../../chat/message.ts';
import type { ChatCompletionRequest, CompletionRequest } from './openai-schemas.ts';

export type OpenAiFinishReason = 'stop' | 'length';

/** OpenAI has no "end of sequence": a model that stops by itself or at a stop sequence says `stop`. */
export function openAiFinishReason(reason: FinishReason): OpenAiFinishReason {
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

/** System (and `developer`) messages become the conversation's system message; the rest stay in order. */
export function splitOpenAiMessages(messages: ChatCompletionRequest['messages']): { system: string | undefined; turns: ChatMessage[] } {
  const textOf = (content: (typeof messages)[number]['content']) =>
    typeof content === 'string' ? content : (content ?? []).map((part) => part.text).join('');
  const system = messages.filter((message) => message.role === 'system' || message.role === 'developer').map((message) => textOf(message.content));
  const turns = messages
    .filter((message) => message.role === 'user' || message.role === 'assistant')
    .map((message) => ({ role: message.role as 'user' | 'assistant', content: textOf(message.content) }));
  return { system: system.length > 0 ? system.join('\n\n') : undefined, turns };
}

interface ResponseIdentity {
  id: string;
  created: number;
  model: string;
}

export function chatCompletion(identity: ResponseIdentity, text: string, reason: FinishReason, usage: TokenUsage) {
  return {
    ...identity,
    object: 'chat.completion' as const,
    system_fingerprint: null,
    choices: [{ index: 0, message: { role: 'assistant' as const, content: text, refusal: null }, logprobs: null, finish_reason: openAiFinishReason(reason) }],
    usage: openAiUsage(usage),
  };
}

export function chatCompletionChunk(
  identity: ResponseIdentity,
  delta: { role?: 'assistant'; content?: string },
  finishReason: OpenAiFinishReason | null,
  includeUsage: boolean,
) {
  return {
    ...identity,
    object: 'chat.completion.chunk' as const,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  };
}

/** With `stream_options.include_usage`, one last chunk carries the usage and no choices. */
export function usageChunk(identity: ResponseIdentity, object: 'chat.completion.chunk' | 'text_completion', usage: TokenUsage) {
  return { ...identity, object, system_fingerprint: null, choices: [], usage: openAiUsage(usage) };
}

export function textCompletion(identity: ResponseIdentity, text: string, reason: FinishReason | null, usage: TokenUsage | null) {
  return {
    ...identity,
    object: 'text_completion' as const,
    system_fingerprint: null,
    choices: [{ index: 0, text, logprobs: null, finish_reason: reason === null ? null : openAiFinishReason(reason) }],
    ...(usage ? { usage: openAiUsage(usage) } : {}),
  };
}
