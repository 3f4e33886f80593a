import type { GenerationParameters } from '../../chat/generation-parameters.ts';
import type { TgiParameters } from './tgi-schemas.ts';

/** TGI's default when a request gives no `max_new_tokens` (its OpenAPI document says 100). */
const TGI_DEFAULT_MAX_NEW_TOKENS = 100;

/**
 * TGI semantics: without `do_sample` or a temperature, decoding is greedy; `do_sample` alone
 * samples at temperature 1.
 */
export function generationParametersFromTgi(parameters: TgiParameters | null | undefined): GenerationParameters {
  const given = parameters ?? {};
  const sampling = given.do_sample === true || (given.temperature ?? null) !== null;
  return {
    maxNewTokens: given.max_new_tokens ?? TGI_DEFAULT_MAX_NEW_TOKENS,
    temperature: sampling ? (given.temperature ?? 1) : 0,
    ...(given.top_p != null ? { topP: given.top_p } : {}),
    ...(given.top_k != null ? { topK: given.top_k } : {}),
    ...(given.repetition_penalty != null ? { repetitionPenalty: given.repetition_penalty } : {}),
    ...(given.seed != null ? { seed: given.seed } : {}),
    ...(given.stop ? { stop: given.stop } : {}),
  };
}
