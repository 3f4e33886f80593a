import type { ResolvedGenerationParameters } from '../../chat/generation-parameters.ts';
import type { ResponseFormat } from '../../chat/structured-output/response-format.ts';

/** TGI's `GenerateParameters`, with only what we send. */
export interface TgiGenerateParameters {
  max_new_tokens: number;
  stop: string[];
  do_sample: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  repetition_penalty?: number;
  seed?: number;
  details: true;
  return_full_text: false;
  grammar?: { type: 'json'; value: Record<string, unknown> } | { type: 'regex'; value: string };
  top_n_tokens?: number;
}

/** TGI's grammar: a JSON schema or a regex, which TGI enforces itself (outlines). */
function tgiGrammar(format: ResponseFormat): NonNullable<TgiGenerateParameters['grammar']> {
  if (format.type === 'regex') return { type: 'regex', value: format.pattern };
  return { type: 'json', value: format.type === 'json-schema' ? format.schema : { type: 'object' } };
}

export function buildTgiParameters(
  parameters: ResolvedGenerationParameters,
  responseFormat?: ResponseFormat,
  logprobs?: { top: number },
): TgiGenerateParameters {
  const greedy = parameters.temperature === 0;
  return {
    max_new_tokens: parameters.maxNewTokens,
    stop: [...parameters.stop],
    // TGI rejects temperature 0 (it must be > 0); greedy decoding is `do_sample: false` instead.
    do_sample: !greedy,
    ...(greedy ? {} : { temperature: parameters.temperature }),
    // top_p = 1 means "no nucleus filter" to us, but TGI requires top_p < 1, so leave it out.
    ...(parameters.topP !== undefined && parameters.topP < 1 ? { top_p: parameters.topP } : {}),
    ...(parameters.topK !== undefined ? { top_k: parameters.topK } : {}),
    ...(parameters.repetitionPenalty !== undefined ? { repetition_penalty: parameters.repetitionPenalty } : {}),
    ...(parameters.seed !== undefined ? { seed: parameters.seed } : {}),
    details: true,
    // Some deployments (Inference Endpoints' defaults) echo the prompt unless told not to.
    return_full_text: false,
    ...(responseFormat ? { grammar: tgiGrammar(responseFormat) } : {}),
    // TGI sends log-probabilities only alongside `top_tokens`, so at least one alternative is asked for.
    ...(logprobs ? { top_n_tokens: Math.max(1, logprobs.top) } : {}),
  };
}
