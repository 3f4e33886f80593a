import { z } from 'zod';
import { contextOverflowPolicySchema } from '../../chat/context-overflow-policy.ts';
import type { Conversation, GenerationRecord, SentPrompt, StoredMessage } from '../../chat/conversation.ts';
import { MAX_SYSTEM_MESSAGE_CHARACTERS, MAX_TITLE_CHARACTERS } from '../../chat/conversation-field-limits.ts';
import { generationParametersSchema } from '../../chat/generation-parameters.ts';
import { chatMessageSchema, chatRoleSchema } from '../../chat/message.ts';
import { conversationToolSettingsSchema } from '../../chat/tools/conversation-tool-settings.ts';
import { toolCallRecordSchema } from '../../chat/tools/tool-call-record.ts';

/**
 * anychat's export file, version 1: every conversation with every message of every branch, each
 * answer with its full generation record. Import checks a file against these schemas before
 * writing anything. Strict objects, so a misspelt field is reported rather than silently dropped.
 */
export const EXPORT_FORMAT = 'anychat-conversations';
export const EXPORT_VERSION = 1;

const isoTime = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time like 2025-01-31T12:00:00.000Z' });
/**
 * Lower-cased: UUID columns ignore case, so ids that differ only by case are one id to the
 * database; compared as typed they passed the duplicate checks and failed the insert with a 500.
 */
const id = z.uuid({ error: 'expected a UUID' }).transform((value) => value.toLowerCase());
const count = z.number().int().min(0);

// The app API's limits (conversation-field-limits.ts): an import is no back door around them.
const conversationSettingsSchema = z.strictObject({
  systemMessage: z.string().max(MAX_SYSTEM_MESSAGE_CHARACTERS, { error: `a system message may have at most ${MAX_SYSTEM_MESSAGE_CHARACTERS} characters, as through the API` }).optional(),
  template: z.enum(['plain', 'model']).optional(),
  parameters: generationParametersSchema.strict().optional(),
  modelId: z.string().optional(),
  tools: conversationToolSettingsSchema.optional(),
  contextOverflow: contextOverflowPolicySchema.optional(),
});

const resolvedParametersSchema = generationParametersSchema.strict().required({
  maxNewTokens: true,
  temperature: true,
  stop: true,
});

const generationRecordSchema = z.strictObject({
  status: z.enum(['streaming', 'done', 'stopped', 'disconnected', 'error']),
  finishReason: z.enum(['length', 'stop', 'eos', 'tool-calls', 'aborted']).nullable(),
  error: z
    .strictObject({
      code: z.enum([
        'unreachable',
        'timeout',
        'unauthorized',
        'validation',
        'overloaded',
        'upstream',
        'protocol',
        'stream-cut',
        'model-load',
        'context-overflow',
        'generation',
        'internal',
      ]),
      message: z.string(),
    })
    .nullable(),
  backend: z.enum(['llamacpp', 'tgi', 'openai', 'echo']),
  modelId: z.string(),
  servedModelId: z.string().optional(),
  template: z.enum(['plain', 'model', 'messages']),
  prompt: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('text'), text: z.string() }),
    z.strictObject({ kind: z.literal('messages'), messages: z.array(chatMessageSchema.strict()) }),
  ]),
  parameters: resolvedParametersSchema,
  contextWindow: count.nullable(),
  promptTokens: count.nullable(),
  droppedTurns: count,
  usage: z.strictObject({ promptTokens: count, completionTokens: count }).nullable(),
  timings: z
    .strictObject({
      timeToFirstTokenMs: z.number().min(0).nullable(),
      tokensPerSecond: z.number().min(0).nullable(),
      totalMs: z.number().min(0),
    })
    .nullable(),
  earlierCompletionTokens: count.optional(),
  // Absent in files written before thinking was kept apart from the answer.
  reasoning: z
    .strictObject({ text: z.string(), startedAt: isoTime, durationMs: z.number().min(0).nullable() })
    .nullable()
    .default(null),
  // Absent in files written before tools, and on answers that called none.
  toolCalls: z.array(toolCallRecordSchema).optional(),
});

const conversationSchema = z.strictObject({
  id,
  title: z.string().max(MAX_TITLE_CHARACTERS, { error: (issue) => `a title may have at most ${MAX_TITLE_CHARACTERS} characters, as through the API; this one has ${String((issue.input as string).length)}` }),
  settings: conversationSettingsSchema,
  activeLeafId: id.nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});

const storedMessageSchema = z.strictObject({
  id,
  conversationId: id,
  parentId: id.nullable(),
  role: chatRoleSchema,
  content: z.string(),
  generation: generationRecordSchema.nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});

export const exportFileSchema = z.strictObject({
  format: z.literal(EXPORT_FORMAT, { error: `expected "${EXPORT_FORMAT}": this is not an anychat export` }),
  version: z.literal(EXPORT_VERSION, {
    error: (issue) =>
      typeof issue.input === 'number' && issue.input > EXPORT_VERSION
        ? `version ${issue.input} was written by a newer anychat; this one reads version ${EXPORT_VERSION}: upgrade anychat`
        : `expected ${EXPORT_VERSION}`,
  }),
  exportedAt: isoTime,
  conversations: z.array(z.strictObject({ conversation: conversationSchema, messages: z.array(storedMessageSchema) })),
});

export type ExportFile = z.infer<typeof exportFileSchema>;

// Compile-time proof that the schemas describe the domain types exactly: a field added to
// Conversation, StoredMessage or GenerationRecord without its schema fails `npm run typecheck`.
// The one difference: a file always holds each answer's prompt, which reads may leave out (null).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type ExportedRecord = GenerationRecord & { prompt: SentPrompt };
type ExportedMessage = Omit<StoredMessage, 'generation'> & { generation: ExportedRecord | null };
const schemasMatchDomain: [
  Same<z.infer<typeof conversationSchema>, Conversation>,
  Same<z.infer<typeof storedMessageSchema>, ExportedMessage>,
  Same<z.infer<typeof generationRecordSchema>, ExportedRecord>,
] = [true, true, true];
void schemasMatchDomain;
