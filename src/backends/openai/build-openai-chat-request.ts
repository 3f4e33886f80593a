import type { ChatMessage } from '../../chat/message.ts';
import type { ResolvedGenerationParameters } from '../../chat/generation-parameters.ts';

/** The `/v1/chat/completions` body we send. */
export interface OpenAiChatRequest {
  model?: string;
  messages: ChatMessage[];
  stream: true;
  stream_options: { include_usage: true };
  max_tokens: number;
  temperature: number;
  top_p?: number;
  stop?: string[];
  seed?: number;
  /** Not in OpenAI's API; vLLM, llama-server and LM Studio accept them as extra sampling fields. */
  top_k?: number;
  repetition_penalty?: number;
}

export function buildOpenAiChatRequest(
  messages: ChatMessage[],
  parameters: ResolvedGenerationParameters,
  model: string | null,
): OpenAiChatRequest {
  return {
    // llama-server ignores the model; vLLM and Ollama need it. Unknown (no /v1/models): leave it out.
    ...(model ? { model } : {}),
    messages,
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: parameters.maxNewTokens,
    temperature: parameters.temperature,
    ...(parameters.topP !== undefined ? { top_p: parameters.topP } : {}),
    // OpenAI rejects an empty stop list on some models; send it only when there is one.
    ...(parameters.stop.length > 0 ? { stop: [...parameters.stop] } : {}),
    ...(parameters.seed !== undefined ? { seed: parameters.seed } : {}),
    ...(parameters.topK !== undefined ? { top_k: parameters.topK } : {}),
    ...(parameters.repetitionPenalty !== undefined ? { repetition_penalty: parameters.repetitionPenalty } : {}),
  };
}
