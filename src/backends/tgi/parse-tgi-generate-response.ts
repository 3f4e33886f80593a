import { BackendError } from '../backend.ts';
import type { UpstreamGenerationPart } from '../http/upstream-generation-part.ts';
import { mapTgiFinishReason } from './map-tgi-finish-reason.ts';
import { tgiGenerateResponseSchema } from './tgi-api.ts';

/**
 * A `/generate` answer as upstream parts. With `details` TGI lists every token, so the text is
 * replayed token by token: the caller sees the same deltas as when streaming and an abort or a
 * stop sequence cuts at a token. Token texts are decoded one by one and may differ from the
 * whole-text decoding (a character split over two tokens), so we only split when they add up.
 */
export function partsFromTgiGenerateResponse(json: unknown, serverLabel: string): UpstreamGenerationPart[] {
  const parsed = tgiGenerateResponseSchema.safeParse(Array.isArray(json) ? json[0] : json);
  if (!parsed.success) throw new BackendError('protocol', `${serverLabel} sent a /generate answer of unexpected shape`);
  const { generated_text: generatedText, details } = parsed.data;
  const tokens = (details?.tokens ?? []).filter((token) => !token.special);
  const tokensAddUp = tokens.length > 0 && tokens.map((token) => token.text).join('') === generatedText;
  const textParts: UpstreamGenerationPart[] = tokensAddUp
    ? tokens.map((token) => ({ type: 'text', text: token.text, tokenCount: 1, tokenId: token.id }))
    : [{ type: 'text', text: generatedText, tokenCount: details?.generated_tokens ?? 1 }];
  const prefillLength = details?.prefill?.length ?? 0;
  return [
    ...textParts,
    {
      type: 'finish',
      reason: details ? mapTgiFinishReason(details.finish_reason) : null,
      // `prefill` is empty unless `decoder_input_details` was asked for; empty means unknown.
      promptTokens: prefillLength > 0 ? prefillLength : null,
      completionTokens: details?.generated_tokens ?? null,
      ...(prefillLength > 0 ? { promptLogprobs: (details?.prefill ?? []).map((token) => ({ tokenId: token.id, text: token.text, logprob: token.logprob ?? null })) } : {}),
    },
  ];
}
