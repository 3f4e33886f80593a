import { z } from 'zod';
import { MAX_STOP_SEQUENCES } from '../../chat/generation-parameters.ts';

/**
 * Every field a body may carry is listed: each is honoured, or refused with a message naming it
 * (README, "Parameter audit"). Unknown fields are refused too, so nothing is silently ignored.
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
  n: z.number().int().min(1).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  logprobs: z.union([z.boolean(), z.number().int().min(0).max(20)]).nullish(),
  /** OpenAI's end-user id, for abuse monitoring; anychat writes it to the request log. */
  user: z.string().max(256).nullish(),
};

const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const textPartSchema = z.object({ type: z.literal('text'), text: z.string() }).loose();

export const openAiMessageSchema = z
  .object({
    // `developer` is the newer name OpenAI gives the system role.
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    content: z
      .union([z.string(), z.array(textPartSchema), z.null()], {
        error: 'content must be a string, a list of {"type": "text", "text": "…"} parts, or null',
      })
      .optional(),
    /** An assistant turn that called functions. */
    tool_calls: z.array(toolCallSchema).nullish(),
    /** A `tool` message: the id of the call whose result it carries. */
    tool_call_id: z.string().nullish(),
    name: z.string().nullish(),
    /** Thinking a client sends back from an earlier answer; never shown to the model again. */
    reasoning_content: z.string().nullish(),
  })
  .loose()
  .refine((message) => message.role !== 'tool' || typeof message.tool_call_id === 'string', {
    error: 'a "tool" message needs tool_call_id: the id of the call whose result it carries',
  });

const functionToolSchema = z.object({
  type: z.literal('function', { error: 'each tool must have "type": "function"' }),
  function: z.object({
    name: z.string(),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoiceSchema = z.union(
  [z.enum(['auto', 'none', 'required']), z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) })],
  { error: 'tool_choice must be "auto", "none", "required" or {"type": "function", "function": {"name": …}}' },
);

const responseFormatSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('text') }),
    z.object({ type: z.literal('json_object') }),
    z.object({
      type: z.literal('json_schema'),
      json_schema: z.object({
        name: z.string().nullish(),
        description: z.string().nullish(),
        schema: z.record(z.string(), z.unknown()).nullish(),
        strict: z.boolean().nullish(),
      }),
    }),
  ],
  { error: 'response_format must be {"type": "text"}, {"type": "json_object"} or {"type": "json_schema", "json_schema": {…}}' },
);

export const chatCompletionRequestSchema = z
  .object({
    ...samplingFields,
    messages: z.array(openAiMessageSchema).min(1, { error: 'messages must hold at least one message' }),
    max_completion_tokens: z.number().int().min(1).nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    tools: z.array(functionToolSchema).nullish(),
    tool_choice: toolChoiceSchema.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    response_format: responseFormatSchema.nullish(),
    /** vLLM's and llama-server's way to pass template switches, such as Qwen3's `enable_thinking`. */
    chat_template_kwargs: z.object({ enable_thinking: z.boolean().nullish() }).strict().nullish(),
  })
  .strict();
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
  .strict();
export type CompletionRequest = z.infer<typeof completionRequestSchema>;
