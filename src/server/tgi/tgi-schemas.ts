import { z } from 'zod';
import { MAX_STOP_SEQUENCES } from '../../chat/generation-parameters.ts';

/**
 * TGI's `GenerateParameters`. Every field is nullable because Python clients (the lesson's
 * `text_generation.Client` among them) send every field, unset ones as null. Unknown fields are
 * ignored, as TGI's serde does, so newer clients keep working. Ranges follow TGI's router, except
 * that temperature 0 is accepted and means greedy.
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
    grammar: z.unknown().nullish(),
    adapter_id: z.string().nullish(),
  })
  .loose();
export type TgiParameters = z.infer<typeof tgiParametersSchema>;

/** `/generate` and `/generate_stream`. */
export const tgiGenerateRequestSchema = z
  .object({
    inputs: z.string({ error: (issue) => (issue.input === undefined ? 'inputs is required (the prompt text)' : 'inputs must be a string') }).min(1, {
      error: '`inputs` cannot be empty',
    }),
    parameters: tgiParametersSchema.nullish(),
  })
  .loose();
export type TgiGenerateRequest = z.infer<typeof tgiGenerateRequestSchema>;

/** `POST /`: the request the Python client sends, which streams when `stream` is true. */
export const tgiCompatRequestSchema = tgiGenerateRequestSchema.extend({ stream: z.boolean().nullish() });
