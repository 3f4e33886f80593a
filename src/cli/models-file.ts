import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { CONTEXT_OVERFLOW_POLICIES } from '../chat/context-overflow-policy.ts';
import { reasoningModeSchema } from '../chat/reasoning/reasoning-mode.ts';
import { UsageError } from './usage-error.ts';

const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) => (issue.input === undefined ? 'is required: the server’s URL, e.g. http://127.0.0.1:8080' : 'must be an http(s) URL, e.g. http://127.0.0.1:8080'),
});
const wholeNumber = (minimum: number) => z.number({ error: `must be a whole number ≥ ${minimum}` }).int({ error: `must be a whole number ≥ ${minimum}` }).min(minimum, { error: `must be a whole number ≥ ${minimum}` });
const seconds = z.number({ error: 'must be a number of seconds ≥ 0' }).min(0, { error: 'must be a number of seconds ≥ 0' });
const environmentVariableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be the name of an environment variable, e.g. VLLM_KEY' });

/** What every entry may say, whatever its backend: the flags that are per model on the command line. */
const commonFields = {
  id: z
    .string({ error: 'is required: the name clients pick the model by' })
    .regex(/^[^\s]{1,200}$/, { error: 'must be 1 to 200 characters with no spaces' }),
  default: z.boolean().optional(),
  parallel: wholeNumber(1).max(64, { error: 'must be at most 64' }).optional(),
  template: z.enum(['plain', 'model'], { error: 'must be "plain" or "model"' }).optional(),
  reasoning: z.enum(reasoningModeSchema.options, { error: 'must be "auto", "off" or "raw"' }).optional(),
  /** A Jinja file, relative to the models file. */
  chatTemplate: z.string().min(1).optional(),
  contextOverflow: z.enum(CONTEXT_OVERFLOW_POLICIES, { error: `must be ${CONTEXT_OVERFLOW_POLICIES.map((policy) => `"${policy}"`).join(', ')}` }).optional(),
  maxQueue: wholeNumber(0).optional(),
};

const remoteFields = {
  endpoint: httpUrl,
  /** The variable holding the endpoint's key: keys never sit in the file itself. */
  apiKeyEnv: environmentVariableName.optional(),
  upstreamTimeout: seconds.optional(),
};

/** A strict entry whose unknown fields are named with the fields it does take, so a typo reads as one. */
function entry<Shape extends z.ZodRawShape>(backend: string, shape: Shape) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `${issue.keys.map((key) => `"${key}"`).join(', ')} is not a field of a ${backend} model; it takes ${Object.keys(shape).join(', ')}`
        : undefined,
  });
}

const modelEntrySchema = z.discriminatedUnion(
  'backend',
  [
    entry('llamacpp', {
      ...commonFields,
      backend: z.literal('llamacpp'),
      model: z.string({ error: 'is required: a GGUF path (relative to the models file) or hf:owner/repo/file.gguf' }).min(1),
      threads: wholeNumber(1).max(256, { error: 'must be at most 256' }).optional(),
      contextSize: wholeNumber(16).optional(),
      threadsBatch: wholeNumber(1).max(256, { error: 'must be at most 256' }).optional(),
      promptCacheMib: wholeNumber(0).optional(),
      /** A GBNF file every answer follows (`--grammar-file`), relative to the models file. */
      grammarFile: z.string().min(1).optional(),
    }),
    entry('openai', { ...commonFields, ...remoteFields, backend: z.literal('openai'), model: z.string().min(1).optional() }),
    entry('tgi', { ...commonFields, ...remoteFields, backend: z.literal('tgi') }),
    entry('echo', { ...commonFields, backend: z.literal('echo'), echoDelay: z.number({ error: 'must be milliseconds ≥ 0' }).min(0, { error: 'must be milliseconds ≥ 0' }).optional() }),
  ],
  { error: 'must be one of llamacpp, openai, tgi, echo' },
);

export const modelsFileSchema = z.strictObject({
  models: z.array(modelEntrySchema, { error: 'must be a list of models' }).min(1, { error: 'must name at least one model' }),
});

export type ModelEntry = z.output<typeof modelEntrySchema>;

/**
 * Reads and checks a models file (`--models`). Every refusal names the file, the entry (by its
 * place and its id) and the field, and says what would be right. Relative paths in the file are
 * taken from the file's own folder, so a file and its models can move together.
 */
export function readModelsFile(path: string): ModelEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the models file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the models file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseModelsFile(json, path);
}

export function parseModelsFile(json: unknown, path: string): ModelEntry[] {
  refuseKeysInFile(json, path);
  const parsed = modelsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`the models file ${path}: ${describeIssuePlace(json, issue.path)}${issue.message}`);
  }
  const entries = parsed.data.models;
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    if (seen.has(entry.id)) throw new UsageError(`the models file ${path}: models[${index}] ("${entry.id}"): id is also used by an earlier entry; ids must differ`);
    seen.add(entry.id);
  });
  const defaults = entries.filter((entry) => entry.default);
  if (defaults.length > 1) throw new UsageError(`the models file ${path}: "default": true is set on ${defaults.map((entry) => `"${entry.id}"`).join(' and ')}; set it on one model only`);
  const folder = dirname(resolve(path));
  return entries.map((entry) => ({
    ...entry,
    ...(entry.chatTemplate ? { chatTemplate: resolve(folder, entry.chatTemplate) } : {}),
    ...(entry.backend === 'llamacpp' && !entry.model.startsWith('hf:') ? { model: resolve(folder, entry.model) } : {}),
    ...(entry.backend === 'llamacpp' && entry.grammarFile ? { grammarFile: resolve(folder, entry.grammarFile) } : {}),
  }));
}

/** A key written into the file would sit in backups and repositories: refuse it with the way to do it instead. */
function refuseKeysInFile(json: unknown, path: string): void {
  const models = (json as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return;
  models.forEach((entry: unknown, index) => {
    if (entry && typeof entry === 'object' && ('apiKey' in entry || 'api_key' in entry)) {
      throw new UsageError(
        `the models file ${path}: ${describeIssuePlace(json, [index])}keys do not go in the models file: put the key in an environment variable and name it with "apiKeyEnv", e.g. "apiKeyEnv": "VLLM_KEY"`,
      );
    }
  });
}

/** `models[1] ("vllm-llama"): endpoint: ` for a zod issue path such as ['models', 1, 'endpoint']. */
function describeIssuePlace(json: unknown, issuePath: readonly PropertyKey[]): string {
  const path = issuePath[0] === 'models' ? issuePath.slice(1) : issuePath;
  if (issuePath.length === 0) return '';
  if (issuePath[0] === 'models' && path.length === 0) return 'models: ';
  const [index, ...field] = path;
  if (typeof index !== 'number') return `${String(issuePath.join('.'))}: `;
  const entry = (json as { models: unknown[] }).models[index];
  const id = entry && typeof entry === 'object' && typeof (entry as { id?: unknown }).id === 'string' ? ` ("${(entry as { id: string }).id}")` : '';
  return `models[${index}]${id}: ${field.length > 0 ? `${field.map(String).join('.')}: ` : ''}`;
}
