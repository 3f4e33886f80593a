import type { ApiErrorBody } from '../types/api.ts';

/** A failed app-API call. `status` 0 means the server could not be reached at all. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export async function apiErrorFromResponse(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as Partial<ApiErrorBody> | null;
  const code = body?.error?.code ?? (response.status === 429 ? 'overloaded' : `http-${response.status}`);
  const message = body?.error?.message ?? `The server answered ${response.status} ${response.statusText}`.trim();
  return new ApiError(response.status, code, message, body?.error?.field);
}

export function unreachableError(cause: unknown): ApiError {
  const error = new ApiError(0, 'server-unreachable', 'Cannot reach the anychat server. Is it running?');
  error.cause = cause;
  return error;
}
