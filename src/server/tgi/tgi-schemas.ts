import { z } from 'zod';
import { MAX_STOP_SEQUENCES } from '../../chat/generation-parameters.ts';

/** TGI's `GrammarType`: a JSON schema (`json`, or `json_schema` with a name), or a regular expression. */
const tgiGrammarSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('json'), value: z.union([z.record(z.string(), z.unknown()), z.string()]) }),
    z.object({ type: z.literal('json_schema'), value: z.object({ name: z.string().nullish(), schema: z.record(z.string(), z.unknown()) }) }),
    z.object({ type: z.literal('regex'), value: z.string() }),
  ],
  { error: 'grammar must be {"type": "json", "value": <JSON schema>}, {"type": "json_schema", "value": {"schema": …}} or {"type": "regex", "value": "…"}' },
);
export type TgiGrammar = z.infer<typeof tgiGrammarSchema>;

/**
 * TGI's `GenerateParameters`. Every field is nullable because Python clients (the lesson's
 * `text_generation.Client` among them) send every field, unset ones as null. Every field is listed
 * and each is honoured or refused (tgi-parameters.ts, README "Parameter audit"); unknown fields are
 * refused too, so nothing is silently ignored. Ranges follow TGI's router, except that
 * temperature 0 is accepted and means greedy.
 */
export const tgiParametersSchema = z
  .object({
    max_new_tokens: z.number().int().min(1).nullish(),
    temperature: z.number().min(0).max(100).nullish(),
    top_p: z.number().gt(0).max(1).nullish(),
    top_k: z.number().int().min(1).nullish(),
    repetition_penalty: z.number().gt(0).max(10).nullish(),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
    stop: z
      .array(z.string().min(1, { error: 'stop sequences must not be empty strings' }))
      .max(MAX_STOP_SEQUENCES, {
        error: (issue) =>
          `at most ${MAX_STOP_SEQUENCES} stop sequences are allowed, got ${Array.isArray(issue.input) ? issue.input.length : '?'}`,
      })
      .nullish(),
    do_sample: z.boolean().nullish(),
    details: z.boolean().nullish(),
    decoder_input_details: z.boolean().nullish(),
    return_full_text: z.boolean().nullish(),
    best_of: z
      .number()
      .int()
      .nullish()
      .refine((value) => value === null || value === undefined || value === 1, { error: 'best_of > 1 is not supported by anychat; use 1 or leave it out' }),
    truncate: z.number().int().min(1).nullish(),
    typical_p: z.number().gt(0).max(1).nullish(),
    watermark: z.boolean().nullish(),
    top_n_tokens: z.number().int().min(0).nullish(),
    frequency_penalty: z.number().nullish(),
    grammar: tgiGrammarSchema.nullish(),
    adapter_id: z.string().nullish(),
  })
  .strict();
export type TgiParameters = z.infer<typeof tgiParametersSchema>;

/**
 * `/generate` and `/generate_stream`. Beside `inputs` and `parameters` only `stream` may come, as
 * clients that share one body across TGI's routes send it; the path decides, as in TGI.
 */
export const tgiGenerateRequestSchema = z
  .object({
    inputs: z.string({ error: (issue) => (issue.input === undefined ? 'inputs is required (the prompt text)' : 'inputs must be a string') }).min(1, {
      error: '`inputs` cannot be empty',
    }),
    parameters: tgiParametersSchema.nullish(),
    stream: z.boolean().nullish(),
  })
  .strict();
export type TgiGenerateRequest = z.infer<typeof tgiGenerateRequestSchema>;

/** `POST /`: the request the Python client sends, which streams when `stream` is true. */
export const tgiCompatRequestSchema = tgiGenerateRequestSchema;
