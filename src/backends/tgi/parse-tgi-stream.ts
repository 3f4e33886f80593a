import { BackendError } from '../backend.ts';
import type { UpstreamGenerationPart } from '../http/upstream-generation-part.ts';
import { readServerSentEvents } from '../http/read-server-sent-events.ts';
import type { UpstreamLimits } from '../http/upstream-limits.ts';
import { mapTgiErrorType } from './map-tgi-error-type.ts';
import { mapTgiFinishReason } from './map-tgi-finish-reason.ts';
import { tgiErrorResponseSchema, tgiStreamResponseSchema } from './tgi-api.ts';

/**
 * One `/generate_stream` payload as an upstream part. The last event is recognised by its
 * non-null `generated_text` (its `details` is null when details were not requested). Special
 * tokens (EOS) count as generated tokens but contribute no text, as in TGI's `generated_text`.
 */
export function parseTgiStreamEvent(data: string, serverLabel: string): UpstreamGenerationPart {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new BackendError('protocol', `${serverLabel} sent an event that is not JSON: ${JSON.stringify(data.slice(0, 120))}`);
  }
  const error = tgiErrorResponseSchema.safeParse(json);
  if (error.success) throw new BackendError(mapTgiErrorType(error.data.error_type), error.data.error);
  const event = tgiStreamResponseSchema.safeParse(json);
  if (!event.success) {
    throw new BackendError('protocol', `${serverLabel} sent an event of unexpected shape: ${JSON.stringify(data.slice(0, 120))}`);
  }
  const { token, generated_text: generatedText, details, top_tokens: topTokens } = event.data;
  const text = token.special ? '' : token.text;
  if (generatedText === null || generatedText === undefined) {
    // Only with `top_n_tokens` are the log-probabilities known to be real (see tgi-backend.ts).
    if (!topTokens?.length) return { type: 'text', text, tokenCount: 1, tokenId: token.id };
    const top = topTokens.map((alternative) => ({ tokenId: alternative.id, text: alternative.text, logprob: alternative.logprob ?? -9999 }));
    return { type: 'text', text, tokenCount: 1, tokenId: token.id, logprobs: [{ tokenId: token.id, text: token.text, logprob: token.logprob ?? -9999, top }] };
  }
  return {
    type: 'finish',
    text,
    tokenCount: 1,
    reason: details ? mapTgiFinishReason(details.finish_reason) : null,
    promptTokens: details?.input_length ?? null,
    completionTokens: details?.generated_tokens ?? null,
  };
}

/** A `/generate_stream` body (raw bytes, split anywhere) as upstream parts. */
export async function* parseTgiStream(
  chunks: AsyncIterable<Uint8Array>,
  serverLabel: string,
  limits?: UpstreamLimits,
): AsyncGenerator<UpstreamGenerationPart> {
  for await (const event of readServerSentEvents(chunks, serverLabel, limits)) {
    const part = parseTgiStreamEvent(event.data, serverLabel);
    yield part;
    if (part.type === 'finish') return;
  }
}
