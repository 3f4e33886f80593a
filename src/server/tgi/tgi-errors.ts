import type { ApiErrorShape } from '../error-handler.ts';
import type { HttpProblem, ProblemCode } from '../http-problem.ts';

/** TGI's error body. `error_type` values are TGI's own: validation, generation, overloaded, … */
export interface TgiErrorBody {
  error: string;
  error_type: string;
}

const tgiErrorTypes: Record<ProblemCode, string> = {
  validation: 'validation',
  'malformed-json': 'validation',
  'context-overflow': 'validation',
  unauthorized: 'authentication',
  forbidden: 'authentication',
  'rate-limited': 'overloaded',
  'not-found': 'not_found',
  conflict: 'validation',
  'payload-too-large': 'validation',
  'unsupported-media-type': 'validation',
  overloaded: 'overloaded',
  'model-unavailable': 'unhealthy',
  generation: 'generation',
  timeout: 'generation',
  internal: 'incomplete_generation',
};

/**
 * TGI answers every invalid request with 422 (its router validates after deserializing), so
 * clients such as `text_generation.Client` map 422 to ValidationError; we keep that status.
 */
export function tgiStatusOf(problem: HttpProblem): number {
  if (problem.code === 'validation' && problem.status === 400) return 422;
  return problem.status;
}

export function tgiErrorBody(problem: HttpProblem): TgiErrorBody {
  return { error: problem.message, error_type: tgiErrorTypes[problem.code] };
}

export const tgiErrorShape: ApiErrorShape = { status: tgiStatusOf, body: tgiErrorBody };
