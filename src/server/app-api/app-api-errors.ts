import type { ApiErrorShape } from '../error-handler.ts';
import type { HttpProblem } from '../http-problem.ts';

/** The app API's error body, as app-api-events.ts documents it. */
export interface AppErrorBody {
  error: { code: string; message: string; field?: string };
}

export function appErrorBody(problem: HttpProblem): AppErrorBody {
  return {
    error: { code: problem.code, message: problem.message, ...(problem.field ? { field: problem.field } : {}) },
  };
}

export const appErrorShape: ApiErrorShape = { status: (problem) => problem.status, body: appErrorBody };
