import { z } from 'zod';

/**
 * The parts of the OpenAI chat-completions stream that anychat reads, as sent by OpenAI, vLLM,
 * llama-server, Ollama, LM Studio and TGI's Messages API. Every field is lenient (nullish)
 * because these servers disagree on which ones they send: llama-server sends `content: null` in
 * its first chunk, Azure sends a first chunk with no choices at all.
 */
const logprobEntrySchema = z.object({ token: z.string(), logprob: z.number().nullish() });

export const openAiChatChunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullish(),
            /** Thinking: llama-server, vLLM (older) and DeepSeek say `reasoning_content`; vLLM and OpenRouter `reasoning`. */
            reasoning_content: z.string().nullish(),
            reasoning: z.string().nullish(),
            /** Call fragments: the first of each call has its id and name, the rest only argument text. */
            tool_calls: z
              .array(
                z.object({
                  index: z.number().int().min(0).nullish(),
                  id: z.string().nullish(),
                  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        logprobs: z
          .object({ content: z.array(logprobEntrySchema.extend({ top_logprobs: z.array(logprobEntrySchema).nullish() })).nullish() })
          .nullish(),
        finish_reason: z.string().nullish(),
        /** vLLM only: the stop string (or token id) that ended generation; null for EOS. */
        stop_reason: z.union([z.string(), z.number()]).nullish(),
      }),
    )
    .nullish(),
  /** With `stream_options.include_usage`: a last chunk with empty `choices` carries it. */
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish(),
});
export type OpenAiChatChunk = z.infer<typeof openAiChatChunkSchema>;

/**
 * An error inside a 200 stream: `{"error": {"message", "type", "code"}}`. llama-server puts the
 * HTTP status in `code`; OpenAI puts a string there.
 */
export const openAiStreamErrorSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string().nullish(),
    code: z.union([z.string(), z.number()]).nullish(),
  }),
});

/** `GET /v1/models`. vLLM adds `max_model_len`; llama-server adds `meta.n_ctx_train`. */
export const openAiModelListSchema = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      max_model_len: z.number().int().positive().nullish(),
      meta: z.object({ n_ctx_train: z.number().int().positive().nullish() }).nullish(),
    }),
  ),
});
