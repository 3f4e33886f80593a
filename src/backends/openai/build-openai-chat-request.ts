import type { ChatMessage } from '../../chat/message.ts';
import type { ResolvedGenerationParameters } from '../../chat/generation-parameters.ts';
import type { GenerationRequest } from '../backend.ts';

/** One message in OpenAI's shape: calls and tool results carry their ids. */
export interface OpenAiChatMessage {
  role: ChatMessage['role'];
  content: string | null;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

/** The `/v1/chat/completions` body we send. */
export interface OpenAiChatRequest {
  model?: string;
  messages: OpenAiChatMessage[];
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
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters?: Record<string, unknown> } }>;
  tool_choice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };
  parallel_tool_calls?: boolean;
  response_format?: { type: 'json_object' } | { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown> } };
  logprobs?: boolean;
  top_logprobs?: number;
  /** vLLM's and llama-server's way to reach the template's switches, such as Qwen3's `enable_thinking`. */
  chat_template_kwargs?: { enable_thinking: boolean };
}

export function buildOpenAiChatRequest(
  messages: ChatMessage[],
  parameters: ResolvedGenerationParameters,
  model: string | null,
  extras: Pick<GenerationRequest, 'tools' | 'toolChoice' | 'parallelToolCalls' | 'responseFormat' | 'logprobs' | 'enableThinking'> = {},
): OpenAiChatRequest {
  const format = extras.responseFormat;
  return {
    // llama-server ignores the model; vLLM and Ollama need it. Unknown (no /v1/models): leave it out.
    ...(model ? { model } : {}),
    messages: messages.map(openAiMessage),
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
    ...(extras.tools?.length
      ? {
          tools: extras.tools.map((tool) => ({
            type: 'function' as const,
            function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), ...(tool.parameters ? { parameters: tool.parameters } : {}) },
          })),
        }
      : {}),
    ...(extras.toolChoice
      ? { tool_choice: typeof extras.toolChoice === 'string' ? extras.toolChoice : { type: 'function' as const, function: { name: extras.toolChoice.name } } }
      : {}),
    ...(extras.parallelToolCalls !== undefined && extras.tools?.length ? { parallel_tool_calls: extras.parallelToolCalls } : {}),
    ...(format?.type === 'json-object' ? { response_format: { type: 'json_object' as const } } : {}),
    ...(format?.type === 'json-schema'
      ? { response_format: { type: 'json_schema' as const, json_schema: { name: format.name ?? 'answer', schema: format.schema } } }
      : {}),
    ...(extras.logprobs ? { logprobs: true, ...(extras.logprobs.top > 0 ? { top_logprobs: extras.logprobs.top } : {}) } : {}),
    ...(extras.enableThinking !== undefined ? { chat_template_kwargs: { enable_thinking: extras.enableThinking } } : {}),
  };
}

function openAiMessage(message: ChatMessage): OpenAiChatMessage {
  return {
    role: message.role,
    content: message.toolCalls?.length && message.content === '' ? null : message.content,
    ...(message.toolCalls?.length
      ? { tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } })) }
      : {}),
    ...(message.toolCallId !== undefined ? { tool_call_id: message.toolCallId } : {}),
  };
}
