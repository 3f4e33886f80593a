import { z } from 'zod';

/** TGI accepts at most four stop sequences; we keep the same limit so anychat's API is a drop-in. */
export const MAX_STOP_SEQUENCES = 4;

export const DEFAULT_MAX_NEW_TOKENS = 512;
export const DEFAULT_TEMPERATURE = 0.7;

/**
 * Sampling and length settings for one generation. Every field is optional on the wire;
 * `resolveGenerationParameters` fills defaults. Messages name the field, the value and the range,
 * because these reach users through the page, the CLI and three HTTP APIs.
 */
export const generationParametersSchema = z.object({
  maxNewTokens: z
    .number({ error: (issue) => `maxNewTokens must be a whole number ≥ 1, got ${describe(issue.input)}` })
    .int({ error: (issue) => `maxNewTokens must be a whole number ≥ 1, got ${describe(issue.input)}` })
    .min(1, { error: (issue) => `maxNewTokens must be ≥ 1, got ${describe(issue.input)}` })
    .max(Number.MAX_SAFE_INTEGER, { error: (issue) => `maxNewTokens is too large: ${describe(issue.input)}` })
    .optional(),
  temperature: z
    .number({ error: (issue) => `temperature must be a number ≥ 0 (0 means greedy), got ${describe(issue.input)}` })
    .min(0, { error: (issue) => `temperature must be ≥ 0 (0 means greedy), got ${describe(issue.input)}` })
    .max(100, { error: (issue) => `temperature must be ≤ 100, got ${describe(issue.input)}` })
    .optional(),
  topP: z
    .number({ error: (issue) => `topP must be a number with 0 < topP ≤ 1, got ${describe(issue.input)}` })
    .gt(0, { error: (issue) => `topP must be > 0 and ≤ 1, got ${describe(issue.input)}` })
    .max(1, { error: (issue) => `topP must be > 0 and ≤ 1, got ${describe(issue.input)}` })
    .optional(),
  topK: z
    .number({ error: (issue) => `topK must be a whole number ≥ 1, got ${describe(issue.input)}` })
    .int({ error: (issue) => `topK must be a whole number ≥ 1, got ${describe(issue.input)}` })
    .min(1, { error: (issue) => `topK must be ≥ 1, got ${describe(issue.input)}` })
    .max(1_000_000, { error: (issue) => `topK must be ≤ 1000000, got ${describe(issue.input)}` })
    .optional(),
  repetitionPenalty: z
    .number({ error: (issue) => `repetitionPenalty must be a number > 0, got ${describe(issue.input)}` })
    .gt(0, { error: (issue) => `repetitionPenalty must be > 0 (1 means no penalty), got ${describe(issue.input)}` })
    .max(10, { error: (issue) => `repetitionPenalty must be ≤ 10, got ${describe(issue.input)}` })
    .optional(),
  stop: z
    .array(
      z
        .string({ error: (issue) => `each stop sequence must be a string, got ${describe(issue.input)}` })
        .min(1, { error: 'stop sequences must not be empty strings' }),
      { error: (issue) => `stop must be a list of strings, got ${describe(issue.input)}` },
    )
    .max(MAX_STOP_SEQUENCES, {
      error: (issue) =>
        `at most ${MAX_STOP_SEQUENCES} stop sequences are allowed, got ${Array.isArray(issue.input) ? issue.input.length : '?'}`,
    })
    .optional(),
  seed: z
    .number({ error: (issue) => `seed must be a whole number ≥ 0, got ${describe(issue.input)}` })
    .int({ error: (issue) => `seed must be a whole number ≥ 0, got ${describe(issue.input)}` })
    .min(0, { error: (issue) => `seed must be ≥ 0, got ${describe(issue.input)}` })
    .max(Number.MAX_SAFE_INTEGER, { error: (issue) => `seed is too large: ${describe(issue.input)}` })
    .optional(),
});

export type GenerationParameters = z.infer<typeof generationParametersSchema>;

/** Parameters with defaults applied; what backends receive. */
export type ResolvedGenerationParameters = Required<Omit<GenerationParameters, 'topP' | 'topK' | 'repetitionPenalty' | 'seed'>> &
  Pick<GenerationParameters, 'topP' | 'topK' | 'repetitionPenalty' | 'seed'>;

export class InvalidParametersError extends Error {
  override readonly name = 'InvalidParametersError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** Parses untrusted parameters; throws InvalidParametersError with one readable line per problem. */
export function parseGenerationParameters(input: unknown): GenerationParameters {
  const result = generationParametersSchema.strict().safeParse(input ?? {});
  if (result.success) return result.data;
  throw new InvalidParametersError(
    result.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys' ? `unknown parameter(s): ${issue.keys.join(', ')}` : issue.message,
    ),
  );
}

export function resolveGenerationParameters(
  parameters: GenerationParameters,
  limits: { contextWindow?: number | undefined } = {},
): ResolvedGenerationParameters {
  const maxNewTokens = parameters.maxNewTokens ?? Math.min(DEFAULT_MAX_NEW_TOKENS, limits.contextWindow ?? Infinity);
  if (limits.contextWindow !== undefined && maxNewTokens > limits.contextWindow) {
    throw new InvalidParametersError([
      `maxNewTokens must be within the model's context window of ${limits.contextWindow} tokens, got ${maxNewTokens}`,
    ]);
  }
  return {
    ...parameters,
    maxNewTokens,
    temperature: parameters.temperature ?? DEFAULT_TEMPERATURE,
    stop: parameters.stop ?? [],
  };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value;
}
