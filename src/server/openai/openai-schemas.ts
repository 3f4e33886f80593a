import { z } from 'zod';
import { MAX_STOP_SEQUENCES } from '../../chat/generation-parameters.ts';

/**
 * Only the fields anychat acts on are checked; the rest (tools, logit_bias, user, …) are ignored
 * as OpenAI-compatible servers commonly do, so existing clients keep working.
 */
const samplingFields = {
  model: z.string().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).loose().nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
  // A single string is one stop sequence; unions would hide the real problem behind "Invalid input".
  stop: z
    .preprocess(
      (value) => (typeof value === 'string' ? [value] : value),
      z.array(z.string().min(1, { error: 'stop sequences must not be empty strings' })).max(MAX_STOP_SEQUENCES, {
        error: (issue) =>
          `at most ${MAX_STOP_SEQUENCES} stop sequences are allowed, got ${Array.isArray(issue.input) ? issue.input.length : '?'}`,
      }),
    )
    .nullish(),
  n: z
    .number()
    .int()
    .nullish()
    .refine((value) => value === null || value === undefined || value === 1, { error: 'n must be 1: anychat generates one choice per request' }),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
};

const textPartSchema = z.object({ type: z.literal('text'), text: z.string() }).loose();

export const openAiMessageSchema = z
  .object({
    // `developer` is the newer name OpenAI gives the system role.
    role: z.enum(['system', 'developer', 'user', 'assistant']),
    content: z.union([z.string(), z.array(textPartSchema), z.null()], {
      error: 'content must be a string, a list of {"type": "text", "text": "…"} parts, or null',
    }),
  })
  .loose();

export const chatCompletionRequestSchema = z
  .object({
    ...samplingFields,
    messages: z.array(openAiMessageSchema).min(1, { error: 'messages must hold at least one message' }),
    max_completion_tokens: z.number().int().min(1).nullish(),
  })
  .loose();
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

export const completionRequestSchema = z
  .object({
    ...samplingFields,
    prompt: z.union(
      [
        z.string().min(1, { error: 'prompt must not be empty' }),
        z.array(z.string().min(1)).length(1, { error: 'prompt may be a list of exactly one string; anychat answers one prompt per request' }),
      ],
      { error: 'prompt is required: a string, or a list of exactly one string' },
    ),
    echo: z.boolean().nullish(),
  })
  .loose();
export type CompletionRequest = z.infer<typeof completionRequestSchema>;
