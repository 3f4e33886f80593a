import { z } from 'zod';
import { estimateTokenCount, type Backend, type BackendInfo, type GenerationEvent, type GenerationRequest } from '../backend.ts';
import { GenerationMeter } from '../generation-meter.ts';
import { driveRemoteGeneration, errorEvent } from '../http/drive-remote-generation.ts';
import { endpointHost, endpointUrl, shownEndpoint } from '../http/endpoint-url.ts';
import type { UpstreamGenerationPart } from '../http/upstream-generation-part.ts';
import { errorFromResponse } from '../http/upstream-error-body.ts';
import { upstreamLimitsSchema } from '../http/upstream-limits.ts';
import { sendUpstreamRequest, type UpstreamExchange } from '../http/upstream-request.ts';
import { buildOpenAiChatRequest } from './build-openai-chat-request.ts';
import { fetchFirstUpstreamModel, type UpstreamModel } from './fetch-openai-models.ts';
import { openAiBaseUrl } from './openai-endpoint.ts';
import { parseOpenAiChatStream } from './parse-openai-chat-stream.ts';

export const openAiBackendConfigSchema = z.object({
  backend: z.literal('openai'),
  /** Base URL, with or without the trailing `/v1`: http://127.0.0.1:8000 or http://127.0.0.1:8000/v1. */
  endpoint: z.url({ protocol: /^https?$/, error: 'endpoint must be an http(s) URL such as http://127.0.0.1:8000/v1' }),
  apiKey: z.string().min(1).optional(),
  /** Model to ask for; default: the first one `GET /v1/models` lists. */
  model: z.string().min(1).optional(),
  /** Longest silence allowed from the server (before the first byte, then between chunks). */
  timeoutMs: z.number().int().positive().default(120_000),
  /** Caps on the size of what the server sends (upstream-limits.ts). */
  limits: upstreamLimitsSchema.prefault({}),
});
export type OpenAiBackendConfig = z.input<typeof openAiBackendConfigSchema>;

/**
 * Any OpenAI-compatible `/v1/chat/completions` server (vLLM, llama-server, Ollama, LM Studio,
 * TGI's Messages API). It takes messages: the server applies the model's chat template.
 */
export function createOpenAiBackend(config: OpenAiBackendConfig): Backend {
  const { endpoint, apiKey, model, timeoutMs, limits } = openAiBackendConfigSchema.parse(config);
  const baseUrl = openAiBaseUrl(endpoint);
  const serverLabel = `the OpenAI-compatible server at ${shownEndpoint(endpoint)}`;
  let upstreamModel: UpstreamModel | null = null;

  async function lookUpUpstreamModel(): Promise<UpstreamModel | null> {
    upstreamModel ??= await fetchFirstUpstreamModel({ baseUrl, apiKey, timeoutMs, serverLabel });
    return upstreamModel;
  }

  async function info(): Promise<BackendInfo> {
    const served = await lookUpUpstreamModel();
    const configuredIsServed = model === undefined || model === served?.id;
    return {
      backend: 'openai',
      modelId: model ?? served?.id ?? endpointHost(endpoint),
      // The listed window belongs to the first model; trust it only for that model.
      contextWindow: configuredIsServed ? (served?.contextWindow ?? null) : null,
      chatTemplate: null,
      specialTokens: { bos: null, eos: null },
      input: 'messages',
      // The chat API has no tokenizer endpoint (llama-server's /tokenize is not portable).
      exactTokenCount: false,
      // Passed through: the server enforces them, or refuses them with its own error.
      capabilities: { responseFormats: ['json-object', 'json-schema'], tools: true, maxTopLogprobs: 20, schemaByLocalGrammar: false },
    };
  }

  async function* generate(request: GenerationRequest, signal?: AbortSignal): AsyncGenerator<GenerationEvent> {
    const meter = new GenerationMeter();
    const messages = request.messages;
    if (messages === undefined) {
      yield { type: 'error', code: 'validation', message: 'the openai backend needs messages (BackendInfo.input is "messages")' };
      return;
    }
    const estimatedPromptTokens = estimateTokenCount(messages.map((message) => message.content).join('\n'));
    let exchange: UpstreamExchange;
    try {
      const modelId = model ?? (await lookUpUpstreamModel())?.id ?? null;
      exchange = await sendUpstreamRequest({
        url: endpointUrl(baseUrl, 'chat/completions'),
        json: buildOpenAiChatRequest(messages, request.parameters, modelId, request),
        apiKey,
        timeoutMs,
        signal,
        serverLabel,
      });
      if (!exchange.response.ok) throw await errorFromResponse(exchange, serverLabel, limits);
    } catch (error) {
      yield signal?.aborted ? meter.finish('aborted', estimatedPromptTokens) : errorEvent(error, serverLabel);
      return;
    }
    const opened = exchange;
    async function* parts(): AsyncGenerator<UpstreamGenerationPart> {
      try {
        yield* parseOpenAiChatStream(opened.chunks(), serverLabel, request.parameters.stop, limits);
      } finally {
        opened.close();
      }
    }
    yield* driveRemoteGeneration({
      parts: parts(),
      stopSequences: request.parameters.stop,
      maxNewTokens: request.parameters.maxNewTokens,
      signal,
      meter,
      countPromptTokens: async () => estimatedPromptTokens,
      estimatedPromptTokens,
      serverLabel,
      reasoning: request.reasoning,
      limits,
    });
  }

  return {
    name: 'openai',
    info,
    /** An estimate (see `estimateTokenCount`): the chat API has no portable tokenizer endpoint. */
    countTokens: async (text) => estimateTokenCount(text),
    generate,
    close: async () => {},
  };
}
