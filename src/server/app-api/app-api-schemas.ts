import { z } from 'zod';
import { MAX_SYSTEM_MESSAGE_CHARACTERS, MAX_TITLE_CHARACTERS } from '../../chat/conversation-field-limits.ts';
import { contextOverflowPolicySchema } from '../../chat/context-overflow-policy.ts';
import { generationParametersSchema } from '../../chat/generation-parameters.ts';
import { conversationToolSettingsSchema } from '../../chat/tools/conversation-tool-settings.ts';

/** Zod schemas for the bodies, params and queries of app-api-events.ts; the page sends these. */
export const conversationSettingsSchema = z
  .object({
    systemMessage: z.string().max(MAX_SYSTEM_MESSAGE_CHARACTERS).optional(),
    template: z.enum(['plain', 'model']).optional(),
    parameters: generationParametersSchema.strict().optional(),
    modelId: z.string().min(1).optional(),
    /** Qwen3's `enable_thinking`, for templates that have the switch; others ignore it, as transformers does. */
    enableThinking: z.boolean({ error: 'enableThinking must be true or false' }).optional(),
    tools: conversationToolSettingsSchema.optional(),
    contextOverflow: contextOverflowPolicySchema.optional(),
  })
  .strict();

const contentSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'content is required' : 'content must be a string') })
  .refine((content) => content.trim().length > 0, { error: 'content is empty: type something to send' });

export const sendMessageBodySchema = z
  .object({
    content: contentSchema,
    /** The message the new user message answers; default: the conversation's active leaf. */
    parentId: z.string().min(1).nullable().optional(),
    /** Settings for this turn; also saved as the conversation's settings. */
    settings: conversationSettingsSchema.optional(),
  })
  .strict();

export const regenerateBodySchema = z.object({ settings: conversationSettingsSchema.optional() }).strict();

export const editBodySchema = z.object({ content: contentSchema, settings: conversationSettingsSchema.optional() }).strict();

export const newConversationBodySchema = z
  .object({ title: z.string().max(MAX_TITLE_CHARACTERS).optional(), settings: conversationSettingsSchema.optional() })
  .strict();

export const conversationPatchBodySchema = z
  .object({
    title: z.string().min(1).max(MAX_TITLE_CHARACTERS).optional(),
    settings: conversationSettingsSchema.optional(),
    activeLeafId: z.string().min(1).nullable().optional(),
  })
  .strict();

export const idParamsSchema = z.object({ id: z.string().min(1) });

const lastEventIdError = {
  error: 'Last-Event-ID must be the id of an event this stream sent: N or N:R, whole numbers, the answer\'s length in characters and its thinking\'s',
};

/** Re-attaching: `Last-Event-ID`, the last SSE id the client saw (answer-event-stream.ts says what it counts). */
// Loose: every other header stays as it came.
export const streamHeadersSchema = z.looseObject({
  'last-event-id': z
    .string(lastEventIdError)
    .trim()
    .regex(/^\d{1,15}(:\d{1,15})?$/, lastEventIdError)
    .transform((id) => {
      const [content, reasoning] = id.split(':');
      return { content: Number(content), reasoning: Number(reasoning ?? 0) };
    })
    .optional(),
});

const limitError = { error: 'limit must be a whole number from 1 to 500' };

export const listConversationsQuerySchema = z.object({
  // A repeated query parameter arrives as a list; say so rather than "expected string".
  search: z.string({ error: 'search must be given once, as text' }).max(200).optional(),
  // Parsed from the digits, not coerced: coercion turns "abc" into NaN and the message into "got NaN".
  limit: z
    .string({ error: 'limit must be given once, as a whole number from 1 to 500' })
    .regex(/^\d+$/, limitError)
    .transform(Number)
    .pipe(z.number().min(1, limitError).max(500, limitError))
    .optional(),
  updatedBefore: z.iso
    .datetime({ error: 'updatedBefore must be an ISO date-time such as 2024-05-01T12:00:00Z' })
    // PostgreSQL has no year 0, and nothing was updated before year 1 anyway.
    .refine((value) => !value.startsWith('0000-'), { error: 'updatedBefore must be in year 1 or later' })
    .optional(),
});

export const exportQuerySchema = z.object({ format: z.enum(['json', 'markdown']).default('json') });

export const loginBodySchema = z.object({ apiKey: z.string().min(1, { error: 'apiKey is required' }) }).strict();

/** Request bodies accepted at an optional empty body (`POST …/stop`, `…/regenerate` with no settings). */
export const optionalEmptyBody = <T extends z.ZodType>(schema: T) => z.preprocess((value) => value ?? {}, schema);

export const toolCallParamsSchema = z.object({ id: z.string().min(1), callId: z.string().min(1).max(200) });

/** The user's answer to a tool call awaiting approval: POST only, so no link or GET can run a tool. */
export const toolApprovalBodySchema = z
  .object({
    decision: z.enum(['allow-once', 'always-allow', 'deny'], { error: 'decision must be "allow-once", "always-allow" or "deny"' }),
  })
  .strict();
