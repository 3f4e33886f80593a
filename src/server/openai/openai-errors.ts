import type { ApiErrorShape } from '../error-handler.ts';
import type { HttpProblem, ProblemCode } from '../http-problem.ts';

/** OpenAI's error body; the `openai` client reads `error.message`, `type`, `param` and `code`. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const openAiErrorTypes: Record<ProblemCode, [type: string, code: string | null]> = {
  validation: ['invalid_request_error', null],
  'malformed-json': ['invalid_request_error', null],
  'context-overflow': ['invalid_request_error', 'context_length_exceeded'],
  unauthorized: ['invalid_request_error', 'invalid_api_key'],
  forbidden: ['invalid_request_error', 'forbidden'],
  'rate-limited': ['rate_limit_error', 'rate_limit_exceeded'],
  'not-found': ['invalid_request_error', 'not_found'],
  conflict: ['invalid_request_error', null],
  'payload-too-large': ['invalid_request_error', 'payload_too_large'],
  'unsupported-media-type': ['invalid_request_error', null],
  overloaded: ['server_error', 'rate_limit_exceeded'],
  'model-unavailable': ['server_error', 'model_not_ready'],
  generation: ['server_error', 'generation_failed'],
  timeout: ['server_error', 'timeout'],
  internal: ['server_error', null],
};

export function openAiErrorBody(problem: HttpProblem): OpenAiErrorBody {
  const [type, code] = openAiErrorTypes[problem.code];
  return { error: { message: problem.message, type, param: problem.field ?? null, code } };
}

export const openAiErrorShape: ApiErrorShape = { status: (problem) => problem.status, body: openAiErrorBody };
