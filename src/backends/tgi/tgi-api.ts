import { z } from 'zod';

/**
 * The parts of TGI's wire format that anychat reads (see `docs/openapi.json` in
 * huggingface/text-generation-inference). Fields we do not read are left out on purpose, so a TGI
 * release that adds or drops them does not break us.
 */

export const tgiFinishReasonSchema = z.enum(['length', 'eos_token', 'stop_sequence']);
export type TgiFinishReason = z.infer<typeof tgiFinishReasonSchema>;

export const tgiTokenSchema = z.object({
  id: z.number(),
  text: z.string(),
  /** EOS and other special tokens: their text ("</s>") is not part of `generated_text`. */
  special: z.boolean().optional(),
  /** Natural log; null for some prompt tokens, and sent as 0 by servers that compute none. */
  logprob: z.number().nullish(),
});

/** One `data:` payload of `POST /generate_stream`. */
export const tgiStreamResponseSchema = z.object({
  token: tgiTokenSchema,
  /** With `top_n_tokens`: the most likely tokens at this step; left out (or empty) otherwise. */
  top_tokens: z.array(tgiTokenSchema).nullish(),
  /** null on every event but the last; the last one carries the whole text. */
  generated_text: z.string().nullish(),
  /** Only with `details: true`, only on the last event. `input_length` arrived in TGI 2.x. */
  details: z
    .object({
      finish_reason: tgiFinishReasonSchema,
      generated_tokens: z.number(),
      input_length: z.number().optional(),
    })
    .nullish(),
});

/** `ErrorResponse`: the body of a non-2xx answer, and an event inside a 200 stream. */
export const tgiErrorResponseSchema = z.object({
  error: z.string(),
  error_type: z.string().optional(),
});

/** `POST /generate`. */
export const tgiGenerateResponseSchema = z.object({
  generated_text: z.string(),
  details: z
    .object({
      finish_reason: tgiFinishReasonSchema,
      generated_tokens: z.number(),
      /** Prompt tokens, filled only with `decoder_input_details: true`; the first has a null logprob. */
      prefill: z.array(z.object({ id: z.number(), text: z.string(), logprob: z.number().nullish() })).optional(),
      tokens: z.array(tgiTokenSchema).optional(),
    })
    .nullish(),
});
export type TgiGenerateResponse = z.infer<typeof tgiGenerateResponseSchema>;

/** `GET /info`. */
export const tgiInfoSchema = z.object({
  model_id: z.string(),
  max_total_tokens: z.number().int().positive().optional(),
});

/** `POST /tokenize`: one entry per token. */
export const tgiTokenizeResponseSchema = z.array(z.object({ id: z.number() }));
