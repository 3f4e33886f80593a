import { newToolCallId } from '../../chat/tools/parse-tool-calls.ts';
import type { ToolCall } from '../../chat/tools/tool-definition.ts';
import { BackendError, type TokenLogprob } from '../backend.ts';
import { readServerSentEvents } from '../http/read-server-sent-events.ts';
import type { UpstreamLimits } from '../http/upstream-limits.ts';
import type { UpstreamGenerationPart } from '../http/upstream-generation-part.ts';
import { errorFromOpenAiStreamError } from './map-openai-error.ts';
import { mapOpenAiFinishReason } from './map-openai-finish-reason.ts';
import { openAiChatChunkSchema, openAiStreamErrorSchema } from './openai-chat-api.ts';

/**
 * A chat-completions SSE body as upstream parts. The finish is only emitted at `data: [DONE]`
 * (or at the end of a body that already had a `finish_reason`, for servers that skip [DONE]),
 * because the usage chunk requested with `include_usage` comes after the finish_reason chunk.
 * Each non-empty content chunk counts as one token: servers send one token per chunk, and the
 * count is replaced by the server's `usage` whenever it sends one.
 */
export async function* parseOpenAiChatStream(
  chunks: AsyncIterable<Uint8Array>,
  serverLabel: string,
  stopSequences: readonly string[],
  limits?: UpstreamLimits,
): AsyncGenerator<UpstreamGenerationPart> {
  let finishReason: string | null = null;
  let stopReason: string | number | null = null;
  let usage: { promptTokens: number; completionTokens: number } | null = null;
  // Call fragments by index, joined as they come; emitted whole before the finish.
  const calls = new Map<number, ToolCall>();
  function* finishParts(): Generator<UpstreamGenerationPart> {
    for (const call of calls.values()) yield { type: 'tool-call', call };
    yield finish();
  }
  const finish = (): UpstreamGenerationPart => ({
    type: 'finish',
    reason: mapOpenAiFinishReason(finishReason, stopReason, stopSequences),
    promptTokens: usage?.promptTokens ?? null,
    completionTokens: usage?.completionTokens ?? null,
  });

  for await (const event of readServerSentEvents(chunks, serverLabel, limits)) {
    if (event.data.trim() === '[DONE]') {
      yield* finishParts();
      return;
    }
    const chunk = parseChunk(event.data, serverLabel);
    if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
    // We ask for one choice (n = 1); other indexes would only come from a misbehaving proxy.
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    const reasoning = choice.delta?.reasoning_content ?? choice.delta?.reasoning;
    if (reasoning) yield { type: 'reasoning', text: reasoning, tokenCount: 1 };
    const content = choice.delta?.content;
    const logprobs = choice.logprobs?.content?.map(
      (entry): TokenLogprob => ({
        tokenId: null,
        text: entry.token,
        logprob: entry.logprob ?? -9999,
        top: (entry.top_logprobs ?? []).map((alternative) => ({ tokenId: null, text: alternative.token, logprob: alternative.logprob ?? -9999 })),
      }),
    );
    if (content) yield { type: 'text', text: content, tokenCount: 1, ...(logprobs?.length ? { logprobs } : {}) };
    for (const fragment of choice.delta?.tool_calls ?? []) {
      const index = fragment.index ?? 0;
      const known = calls.get(index);
      const call = known ?? { id: fragment.id ?? newToolCallId(), name: '', arguments: '' };
      const name = fragment.function?.name ?? '';
      const argumentsDelta = fragment.function?.arguments ?? '';
      call.name += name;
      call.arguments += argumentsDelta;
      // Passed on as they come, so clients see the call being written, numbered in the order calls began.
      const ordinal = known ? [...calls.keys()].indexOf(index) : calls.size;
      calls.set(index, call);
      yield { type: 'tool-call-delta', index: ordinal, ...(known ? {} : { id: call.id }), ...(name ? { name } : {}), argumentsDelta };
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
    if (choice.stop_reason !== undefined && choice.stop_reason !== null) stopReason = choice.stop_reason;
  }
  if (finishReason !== null) yield* finishParts();
}

function parseChunk(data: string, serverLabel: string) {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new BackendError('protocol', `${serverLabel} sent an event that is not JSON: ${JSON.stringify(data.slice(0, 120))}`);
  }
  const error = openAiStreamErrorSchema.safeParse(json);
  if (error.success) throw errorFromOpenAiStreamError(error.data.error);
  const chunk = openAiChatChunkSchema.safeParse(json);
  if (!chunk.success) {
    throw new BackendError('protocol', `${serverLabel} sent a chunk of unexpected shape: ${JSON.stringify(data.slice(0, 120))}`);
  }
  return chunk.data;
}
