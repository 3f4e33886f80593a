import { z } from 'zod';
import { estimateTokenCount, type Backend, type BackendInfo, type GenerationEvent, type GenerationRequest } from '../backend.ts';
import { GenerationMeter } from '../generation-meter.ts';
import { driveRemoteGeneration, errorEvent } from '../http/drive-remote-generation.ts';
import { endpointUrl, shownEndpoint } from '../http/endpoint-url.ts';
import type { UpstreamGenerationPart } from '../http/upstream-generation-part.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { errorFromResponse } from '../http/upstream-error-body.ts';
import { upstreamLimitsSchema } from '../http/upstream-limits.ts';
import { sendUpstreamRequest, type UpstreamExchange } from '../http/upstream-request.ts';
import { buildTgiParameters } from './build-tgi-parameters.ts';
import { fallbackTgiInfo, fetchTgiInfo } from './fetch-tgi-info.ts';
import { partsFromTgiGenerateResponse } from './parse-tgi-generate-response.ts';
import { parseTgiStream } from './parse-tgi-stream.ts';
import { TgiTokenCounter, type TgiConnection } from './tgi-token-counter.ts';

export const tgiBackendConfigSchema = z.object({
  backend: z.literal('tgi'),
  /** Base URL of a text-generation-inference server, e.g. http://127.0.0.1:8080. */
  endpoint: z.url({ protocol: /^https?$/, error: 'endpoint must be an http(s) URL such as http://127.0.0.1:8080' }),
  /** Sent as `Authorization: Bearer …`; the CLI fills it from --api-key, HF_API_KEY or HF_TOKEN. */
  apiKey: z.string().min(1).optional(),
  /** Longest silence allowed from the server (before the first byte, then between chunks). */
  timeoutMs: z.number().int().positive().default(120_000),
  /** Caps on the size of what the server sends (upstream-limits.ts). */
  limits: upstreamLimitsSchema.prefault({}),
  /** `/generate_stream` (true) or `/generate` (false). */
  stream: z.boolean().default(true),
});
export type TgiBackendConfig = z.input<typeof tgiBackendConfigSchema>;

/** A text-generation-inference server over HTTP. It takes raw prompts: anychat renders the chat template. */
const TGI_DEFAULT_MAX_TOP_N_TOKENS = 5;

export function createTgiBackend(config: TgiBackendConfig): Backend {
  const { endpoint, apiKey, timeoutMs, stream, limits } = tgiBackendConfigSchema.parse(config);
  const connection: TgiConnection = { endpoint, apiKey, timeoutMs, serverLabel: `TGI at ${shownEndpoint(endpoint)}` };
  const tokenCounter = new TgiTokenCounter(connection);
  let cachedInfo: BackendInfo | null = null;

  async function info(): Promise<BackendInfo> {
    if (cachedInfo) return cachedInfo;
    const served = await fetchTgiInfo(connection);
    const described: BackendInfo = {
      backend: 'tgi',
      ...(served ?? fallbackTgiInfo(endpoint)),
      // /info has no chat template; the chat layer picks one by model id.
      chatTemplate: null,
      specialTokens: { bos: null, eos: null },
      input: 'prompt',
      exactTokenCount: await tokenCounter.isExact(),
      // TGI enforces grammars itself. Log-probabilities come with `top_tokens` on the stream, up to
      // TGI's default `--max-top-n-tokens` of 5; the raw API has no tool calls.
      capabilities: {
        responseFormats: ['json-object', 'json-schema', 'regex'],
        tools: false,
        maxTopLogprobs: stream ? TGI_DEFAULT_MAX_TOP_N_TOKENS : null,
        schemaByLocalGrammar: false,
        promptLogprobs: true,
      },
    };
    // Only a real answer is cached: a server that was down at first gets asked again.
    if (served) cachedInfo = described;
    return described;
  }

  async function* generate(request: GenerationRequest, signal?: AbortSignal): AsyncGenerator<GenerationEvent> {
    const meter = new GenerationMeter();
    const prompt = request.prompt;
    if (prompt === undefined) {
      yield { type: 'error', code: 'validation', message: 'the tgi backend needs a rendered prompt (BackendInfo.input is "prompt")' };
      return;
    }
    const estimatedPromptTokens = estimateTokenCount(prompt);
    // TGI computes the prompt's log-probabilities only on /generate (its stream refuses them).
    const streamed = stream && !request.promptLogprobs;
    let exchange: UpstreamExchange;
    try {
      exchange = await sendUpstreamRequest({
        url: endpointUrl(endpoint, streamed ? 'generate_stream' : 'generate'),
        json: {
          inputs: prompt,
          parameters: { ...buildTgiParameters(request.parameters, request.responseFormat, request.logprobs), ...(request.promptLogprobs ? { decoder_input_details: true } : {}) },
        },
        apiKey,
        timeoutMs,
        signal,
        serverLabel: connection.serverLabel,
      });
      if (!exchange.response.ok) throw await errorFromResponse(exchange, connection.serverLabel, limits);
    } catch (error) {
      yield signal?.aborted ? meter.finish('aborted', estimatedPromptTokens) : errorEvent(error, connection.serverLabel);
      return;
    }
    const opened = exchange;
    async function* parts(): AsyncGenerator<UpstreamGenerationPart> {
      try {
        if (streamed) {
          yield* parseTgiStream(opened.chunks(), connection.serverLabel, limits);
        } else {
          yield* partsFromTgiGenerateResponse(await readJsonBody(opened, connection.serverLabel, limits), connection.serverLabel);
        }
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
      countPromptTokens: () => tokenCounter.countTokens(prompt),
      estimatedPromptTokens,
      serverLabel: connection.serverLabel,
      reasoning: request.reasoning,
      limits,
    });
  }

  return {
    name: 'tgi',
    info,
    countTokens: (text) => tokenCounter.countTokens(text),
    generate,
    close: async () => {},
  };
}
