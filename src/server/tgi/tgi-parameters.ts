import type { BackendInfo } from '../../backends/backend.ts';
import type { GenerationParameters } from '../../chat/generation-parameters.ts';
import type { GenerationExtras } from '../../chat/prepare-generation.ts';
import type { ResponseFormat } from '../../chat/structured-output/response-format.ts';
import { HttpProblem } from '../http-problem.ts';
import { checkExtrasSupported } from '../models/check-generation-extras.ts';
import type { TgiGrammar, TgiParameters } from './tgi-schemas.ts';

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

const refuse = (field: string, message: string): never => {
  throw new HttpProblem(422, 'validation', `parameters.${field}: ${message}`, `parameters.${field}`);
};

/**
 * TGI parameters anychat does not implement, refused (422) rather than ignored when set to
 * anything but their neutral value; the Python client sends every one, unset ones as null/false.
 */
export function refuseUnsupportedTgiParameters(parameters: TgiParameters | null | undefined): void {
  const given = parameters ?? {};
  if (given.truncate != null) refuse('truncate', 'is not supported by anychat: shorten the inputs yourself (the prompt must fit the context window)');
  if (given.typical_p != null) refuse('typical_p', 'typical sampling is not supported by anychat; use top_p or top_k');
  if (given.watermark) refuse('watermark', 'watermarking is not supported by anychat; leave it false');
  if (given.frequency_penalty) refuse('frequency_penalty', 'is not supported by anychat; use repetition_penalty');
  if (given.adapter_id != null) refuse('adapter_id', 'LoRA adapters are not supported by anychat; leave it out');
}

export type TgiExtras = Pick<GenerationExtras, 'logprobs' | 'responseFormat' | 'promptLogprobs'>;

/**
 * `grammar`, `top_n_tokens` and `decoder_input_details` as generation extras, checked against what
 * the backend can honour. `streaming`: the answer goes out as `/generate_stream` events, whose
 * details have no `prefill`, so TGI refuses `decoder_input_details` there, with this message.
 */
export function tgiExtras(parameters: TgiParameters | null | undefined, info: BackendInfo, streaming: boolean): TgiExtras {
  const given = parameters ?? {};
  if (given.decoder_input_details && streaming) refuse('decoder_input_details', '`decoder_input_details` == true is not supported when streaming tokens; use /generate');
  if (given.decoder_input_details && !info.capabilities?.promptLogprobs) {
    refuse('decoder_input_details', `the ${info.backend} backend does not report the prompt tokens' log-probabilities; leave it false`);
  }
  // A TGI upstream gives the prompt's log-probabilities only on its /generate, whose top_tokens
  // anychat does not read (it reads them from streams); better refused than empty.
  if (given.decoder_input_details && given.top_n_tokens && info.backend === 'tgi') {
    refuse('top_n_tokens', 'cannot be combined with decoder_input_details on a TGI upstream; ask for one of them per request');
  }
  const extras: TgiExtras = {
    ...(given.top_n_tokens ? { logprobs: { top: given.top_n_tokens } } : {}),
    ...(given.grammar ? { responseFormat: responseFormatFromTgiGrammar(given.grammar) } : {}),
    ...(given.decoder_input_details ? { promptLogprobs: true } : {}),
  };
  const regexOnEngine = extras.responseFormat?.type === 'regex' && !info.capabilities?.responseFormats.includes('regex');
  if (regexOnEngine) {
    refuse('grammar', `regular-expression grammars are not supported by the ${info.backend} backend: anychat cannot turn a regex into a grammar it can vouch for; use {"type": "json", "value": <JSON schema>}`);
  }
  checkExtrasSupported(extras, info, { tools: 'parameters.tools', responseFormat: 'parameters.grammar', logprobs: 'parameters.top_n_tokens' });
  return extras;
}

function responseFormatFromTgiGrammar(grammar: TgiGrammar): ResponseFormat {
  if (grammar.type === 'regex') return { type: 'regex', pattern: grammar.value };
  if (grammar.type === 'json_schema') return { type: 'json-schema', schema: grammar.value.schema, name: grammar.value.name ?? undefined };
  // TGI also takes the schema as a JSON string.
  if (typeof grammar.value === 'string') {
    let schema: unknown;
    try {
      schema = JSON.parse(grammar.value);
    } catch {
      return refuse('grammar.value', 'is a string that is not JSON; send the JSON schema as an object or as JSON text');
    }
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return refuse('grammar.value', 'must be a JSON schema object');
    return { type: 'json-schema', schema: schema as Record<string, unknown> };
  }
  return { type: 'json-schema', schema: grammar.value };
}
